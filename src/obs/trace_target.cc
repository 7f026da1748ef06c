#include "obs/trace_target.h"

#include "base/names.h"

namespace dla {
namespace {

Error refuse(const std::string& path, const std::string& why) {
  return Error{"--trace " + escape_name(path) + ": " + why};
}

bool is_previous_trace(Env& env, const std::string& path) {
  auto f = env.open_read(path);
  if (!f) return false;
  static constexpr char kHeader[] = "# dla-trace ";
  char buf[sizeof kHeader - 1];
  auto n = (*f)->read_at(0, sizeof buf, buf);
  return n && *n == sizeof buf && std::string(buf, sizeof buf) == kHeader;
}

// Whether we may create files in `dir`: create a probe of our own exclusively, then remove it.
bool writable_dir(Env& env, const std::string& dir) {
  const std::string probe = join_path(dir, ".dla-trace-probe-" + std::to_string(env.process_id()));
  if (!write_file(env, probe, "", WriteMode::kCreateExclusive, /*sync=*/false)) return false;
  env.remove_file(probe);
  return true;
}

}  // namespace

Status check_trace_target(const std::string& path, const std::vector<FileInfo>& inputs, const std::string& checkpoint_dir,
                          Env& env) {
  if (path.empty() || path.back() == '/') return refuse(path, "not a file name");
  const std::string dir = parent_dir(path);
  if (!is_dir(env, dir)) return refuse(path, "directory " + escape_name(dir) + " does not exist");
  if (!writable_dir(env, dir)) return refuse(path, "directory " + escape_name(dir) + " is not writable");
  auto rdir = env.real_path(dir);
  auto rckpt = checkpoint_dir.empty() ? Result<std::string>(Error{""}) : env.real_path(checkpoint_dir);
  if (rdir && rckpt && (*rdir == *rckpt || rdir->rfind(*rckpt + "/", 0) == 0))
    return refuse(path, "inside the checkpoint directory " + escape_name(checkpoint_dir) + " (choose another place)");
  auto ts = env.stat(path);
  if (!ts) return OkStatus();  // a new file
  for (const auto& f : inputs) {
    auto is = env.stat(f.path);
    if (is && is->dev == ts->dev && is->ino == ts->ino)
      return refuse(path, "is the input file " + escape_name(f.name) + " (refusing to overwrite an input)");
  }
  if (!ts->regular()) return refuse(path, "exists and is not a regular file");
  if (!is_previous_trace(env, path)) return refuse(path, "exists and is not a dla trace (refusing to overwrite it)");
  return OkStatus();
}

}  // namespace dla
