#include "store/nesting.h"

#include "base/names.h"
#include "store/local_store.h"

namespace dla {
namespace {

// Whether `inner` is `outer` or lies below it (both resolved).
bool within(const std::string& inner, const std::string& outer) {
  if (inner == outer || outer == "/") return true;
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 && inner[outer.size()] == '/';
}

}  // namespace

Result<std::string> resolve_maybe_missing(Env& env, const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto r = env.real_path(p.empty() ? "." : p);
  if (r || r.code() != Code::kNotFound) return r;
  const auto slash = p.find_last_of('/');
  const std::string leaf = slash == std::string::npos ? p : p.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == "..") return r;  // (".." of a missing dir: not resolvable)
  auto up = resolve_maybe_missing(env, parent_dir(p));
  if (!up) return up;
  return join_path(*up, leaf);
}

Status check_store_nesting(Env& env, const std::string& root, const std::string& dir) {
  auto rdir = env.real_path(dir);
  if (!rdir) return escape_name_in(rdir.err(), dir);
  auto rroot = resolve_maybe_missing(env, root);
  if (!rroot) return escape_name_in(rroot.err(), root);
  const std::string r = escape_name(root), d = escape_name(dir);
  if (*rroot == *rdir) return Error{"--store " + r + " is the input DIR itself: put the store outside DIR", Code::kInvalid};
  if (within(*rroot, *rdir))
    return Error{"--store " + r + " is inside the input DIR " + d + ": put the store outside DIR", Code::kInvalid};
  if (within(*rdir, *rroot))
    return Error{"the input DIR " + d + " is inside --store " + r + ": ingest the original logs, not a store", Code::kInvalid};
  for (std::string a = *rdir;;) {  // DIR and each directory above it, up to "/"
    if (env.stat(join_path(a, kStoreMarker))) {
      return Error{"the input DIR " + d + " is " + (a == *rdir ? "" : "inside ") + "a dla store (" + escape_name(a) + " holds " +
                       kStoreMarker + "): ingest the original logs, not a store",
                   Code::kInvalid};
    }
    const std::string up = parent_dir(a);
    if (up == a || up == ".") break;
    a = up;
  }
  return OkStatus();
}

}  // namespace dla
