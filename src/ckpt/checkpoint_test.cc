#include "ckpt/checkpoint.h"
#include "base/test_util.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace dla {
namespace {

using test::TempDir;

void write_text(const std::string& p, const std::string& s) {
  std::ofstream o(p, std::ios::binary | std::ios::trunc);
  o << s;
}
std::string read_text(const std::string& p) {
  std::ifstream i(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(i), {});
}
bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}
ino_t inode(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_ino;
}

Counts counts(std::uint64_t d, std::uint64_t e, std::uint64_t i, std::uint64_t w, std::uint64_t lines) {
  Counts c;
  c = Counts{}; c[Level::Debug] = d; c[Level::Error] = e; c[Level::Info] = i; c[Level::Warn] = w;
  c.lines = lines;
  return c;
}

// An input directory with n small log files node1.log..nodeN.log.
struct Input {
  TempDir dir;
  std::vector<FileInfo> files;
  explicit Input(int n) {
    for (int i = 1; i <= n; ++i) write_text(dir.path + "/node" + std::to_string(i) + ".log", std::string(static_cast<std::size_t>(i) * 10, 'x') + "\n");
    auto f = discover_logs(dir.path);
    REQUIRE(f.ok());
    files = *f;
  }
  // A state with the first k files processed (file i gets counts i,2i,3i,4i; lines 10i).
  CheckpointState state(int k, const std::string& ts = "2026-11-24T09:00:00") const {
    CheckpointState s;
    s.timestamp = ts;
    for (int i = 0; i < static_cast<int>(files.size()); ++i) {
      if (i < k) {
        CheckpointFile f;
        f.name = files[i].name;
        f.size = files[i].size;
        f.mtime_ns = files[i].mtime_ns;
        std::uint64_t v = static_cast<std::uint64_t>(i + 1);
        f.counts = counts(v, 2 * v, 3 * v, 4 * v, 10 * v);
        s.processed.push_back(f);
      } else {
        s.pending_files.push_back(files[i].name);
      }
    }
    s.counts = sum_counts(s.processed);
    s.failed_workers = {2};
    s.consistency = "eventual";
    return s;
  }
};

bool same_progress(const CheckpointState& a, const CheckpointState& b) {
  return a.counts == b.counts && a.processed == b.processed && a.pending_files == b.pending_files && a.timestamp == b.timestamp;
}

}  // namespace

TEST_CASE("checkpoint json round-trip keeps the assignment's fields and the extras", "[checkpoint]") {
  Input in(4);
  CheckpointState s = in.state(2);
  s.sequence = 7;
  s.input_dir = "/data/logs";
  auto j = checkpoint_to_json(s);
  for (const char* k : {"timestamp", "counts", "processed_files", "pending_files", "failed_workers"}) CHECK(j.contains(k));
  CHECK(j["processed_files"] == nlohmann::json({"node1.log", "node2.log"}));
  CHECK(j["pending_files"] == nlohmann::json({"node3.log", "node4.log"}));
  CHECK(j["failed_workers"] == nlohmann::json({2}));
  CHECK(j["counts"]["INFO"] == 9);  // 3*1 + 3*2
  CHECK(j["lines"] == 30);
  auto back = checkpoint_from_json(nlohmann::json::parse(j.dump()));
  REQUIRE(back.ok());
  CHECK(same_progress(*back, s));
  CHECK(back->failed_workers == s.failed_workers);
  CHECK(back->sequence == 7);
  CHECK(back->input_dir == "/data/logs");
  CHECK(back->consistency == "eventual");
}

TEST_CASE("the fast json writer produces exactly checkpoint_to_json's document", "[checkpoint]") {
  Input in(4);
  for (int k : {0, 1, 4}) {
    CheckpointState s = in.state(k);
    s.sequence = 12;
    s.input_dir = "/data/with \"quotes\" and \\ back\tslash";
    s.timestamp = "2026-11-24T10:00:00.123";
    if (k > 0) s.processed[0].name = "we\"ird\\na\x01me \xc3\xa9.log";
    if (k == 0) s.failed_workers.clear();
    auto text = checkpoint_json_text(s);
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    CHECK(parsed == checkpoint_to_json(s));
  }
}

TEST_CASE("checkpoint json validation rejects inconsistent content", "[checkpoint]") {
  Input in(3);
  auto j = checkpoint_to_json(in.state(2));
  auto bad = [&](auto mutate) {
    auto k = j;
    mutate(k);
    auto r = checkpoint_from_json(k);
    CHECK_FALSE(r.ok());
    return r.ok() ? std::string() : r.error();
  };
  CHECK(checkpoint_from_json(j).ok());
  CHECK(bad([](auto& k) { k["counts"]["ERROR"] = 999; }).find("differ from the sum") != std::string::npos);
  CHECK(bad([](auto& k) { k["lines"] = 1; }).find("differ from the sum") != std::string::npos);
  CHECK(bad([](auto& k) { k["file_info"][0]["counts"]["INFO"] = 0; }).find("differ") != std::string::npos);
  bad([](auto& k) { k["counts"].erase("DEBUG"); });
  bad([](auto& k) { k["counts"]["WARN"] = -1; });
  bad([](auto& k) { k["processed_files"].push_back("node1.log"); });
  bad([](auto& k) { k["processed_files"][0] = "../etc/passwd"; });
  bad([](auto& k) { k["pending_files"].push_back("node1.log"); });
  bad([](auto& k) { k["failed_workers"].push_back("two"); });
  bad([](auto& k) { k["format_version"] = 99; });
  bad([](auto& k) { k.erase("timestamp"); });
  bad([](auto& k) { k.erase("file_info"); });
  bad([](auto& k) { k["file_info"][0]["name"] = "node2.log"; });
}

TEST_CASE("save snapshots every processed file and load_latest returns it", "[checkpoint]") {
  Input in(5);
  TempDir root;
  CheckpointStore store({root.path + "/ckpts", 3, false, CheckpointFiles::kSnapshot});
  REQUIRE(store.open().ok());
  CHECK_FALSE(store.load_latest().found);
  auto st = store.save(in.state(3), in.dir.path);
  REQUIRE(st.ok());
  CHECK(st->cloned + st->copied == 3);  // reflink where the file system can, else a copy
  CHECK(st->linked == 0);
  CHECK(store.saved() == 1);
  // The assignment's layout: one directory per checkpoint with checkpoint.json and the files.
  CHECK(exists(st->dir + "/checkpoint.json"));
  for (const char* n : {"node1.log", "node2.log", "node3.log"}) {
    CHECK(exists(st->dir + "/" + n));
    CHECK(inode(st->dir + "/" + n) != inode(in.dir.path + "/" + n));  // never a hard link to the input
    CHECK(read_text(st->dir + "/" + n) == read_text(in.dir.path + "/" + n));
  }
  CHECK_FALSE(exists(st->dir + "/node4.log"));
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(l.skipped.empty());
  CHECK(l.dir == st->dir);
  CHECK(same_progress(l.state, in.state(3)));
  CHECK(l.state.sequence == 1);
  CHECK(l.state.input_dir == in.dir.path);
}

TEST_CASE("keep-K deletes older checkpoints and sequence continues after reopen", "[checkpoint]") {
  Input in(6);
  TempDir root;
  {
    CheckpointStore store({root.path, 2, false});
    REQUIRE(store.open().ok());
    for (int k = 1; k <= 5; ++k) REQUIRE(store.save(in.state(k), in.dir.path).ok());
  }
  auto names = Env::posix()->list_dir(root.path);
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>({".lock", "ckpt-00000004", "ckpt-00000005"}));
  CheckpointStore again({root.path, 2, false});
  REQUIRE(again.open().ok());
  auto l = again.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.sequence == 5);
  CHECK(l.state.processed.size() == 5);
  auto st = again.save(in.state(6), in.dir.path);
  REQUIRE(st.ok());
  CHECK(st->dir == root.path + "/ckpt-00000006");
  CHECK(st->removed == 1);
}

TEST_CASE("a corrupt, truncated or incomplete newest checkpoint falls back to the previous one", "[checkpoint]") {
  Input in(4);
  TempDir root;
  CheckpointStore store({root.path, 5, false});
  REQUIRE(store.open().ok());
  REQUIRE(store.save(in.state(1), in.dir.path).ok());
  auto newest = store.save(in.state(3), in.dir.path);
  REQUIRE(newest.ok());
  const std::string js = newest->dir + "/checkpoint.json";
  const std::string good = read_text(js);
  auto expect_previous = [&](const std::string& reason_part) {
    auto l = store.load_latest();
    REQUIRE(l.found);
    CHECK(l.state.sequence == 1);
    CHECK(same_progress(l.state, in.state(1)));
    REQUIRE(l.skipped.size() == 1);
    CHECK(l.skipped[0].name == "ckpt-00000002");
    INFO(l.skipped[0].reason);
    CHECK(l.skipped[0].reason.find(reason_part) != std::string::npos);
  };
  SECTION("truncated json") {
    write_text(js, good.substr(0, good.size() / 2));
    expect_previous("not valid JSON");
  }
  SECTION("garbage") {
    write_text(js, "\x01\x02garbage");
    expect_previous("not valid JSON");
  }
  SECTION("empty file") {
    write_text(js, "");
    expect_previous("not valid JSON");
  }
  SECTION("json missing") {
    ::unlink(js.c_str());
    expect_previous("cannot open");
  }
  SECTION("counts do not match the files") {
    auto j = nlohmann::json::parse(good);
    j["counts"]["WARN"] = j["counts"]["WARN"].get<int>() + 1;
    write_text(js, j.dump());
    expect_previous("differ from the sum");
  }
  SECTION("a processed file is missing from the checkpoint directory") {
    ::unlink((newest->dir + "/node2.log").c_str());
    expect_previous("node2.log missing");
  }
  SECTION("directory renamed by hand: sequence mismatch") {
    auto j = nlohmann::json::parse(good);
    j["sequence"] = 9;
    write_text(js, j.dump());
    expect_previous("does not match");
  }
}

TEST_CASE("every checkpoint invalid: nothing is loaded, all are reported", "[checkpoint]") {
  Input in(2);
  TempDir root;
  CheckpointStore store({root.path, 5, false});
  REQUIRE(store.open().ok());
  auto a = store.save(in.state(1), in.dir.path);
  auto b = store.save(in.state(2), in.dir.path);
  REQUIRE((a.ok() && b.ok()));
  write_text(a->dir + "/checkpoint.json", "{");
  write_text(b->dir + "/checkpoint.json", "[]");
  auto l = store.load_latest();
  CHECK_FALSE(l.found);
  CHECK(l.skipped.size() == 2);
}

TEST_CASE(".tmp- leftovers are never loaded and are removed by open()", "[checkpoint]") {
  Input in(3);
  TempDir root;
  {
    CheckpointStore store({root.path, 3, false});
    REQUIRE(store.open().ok());
    REQUIRE(store.save(in.state(1), in.dir.path).ok());
  }
  // A complete-looking but unrenamed checkpoint (crash before rename) with more progress.
  REQUIRE(::mkdir((root.path + "/.tmp-00000002-999").c_str(), 0755) == 0);
  nlohmann::json j = checkpoint_to_json(in.state(3));
  j["sequence"] = 2;
  write_text(root.path + "/.tmp-00000002-999/checkpoint.json", j.dump());
  CheckpointStore reader({root.path, 3, false});
  auto l = reader.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.sequence == 1);
  CHECK(l.leftovers == 1);
  REQUIRE(reader.open().ok());
  CHECK_FALSE(exists(root.path + "/.tmp-00000002-999"));  // ours (our format marker): removed
}

TEST_CASE("two runs cannot write into one checkpoint directory", "[checkpoint]") {
  TempDir root;
  CheckpointStore a({root.path, 3, false});
  CheckpointStore b({root.path, 3, false});
  REQUIRE(a.open().ok());
  auto r = b.open();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("in use") != std::string::npos);
}

TEST_CASE("save refuses a state whose counts are not the sum of its files", "[checkpoint]") {
  Input in(2);
  TempDir root;
  CheckpointStore store({root.path, 3, false});
  REQUIRE(store.open().ok());
  auto s = in.state(2);
  s.counts[Level::Debug] += 1;
  CHECK_FALSE(store.save(s, in.dir.path).ok());
  CHECK_FALSE(store.load_latest().found);
  auto names = Env::posix()->list_dir(root.path);
  CHECK(*names == std::vector<std::string>({".lock"}));
}

TEST_CASE("without reflinks files are copied once and re-linked from the previous checkpoint", "[checkpoint]") {
  Input in(3);
  TempDir root;
  CheckpointStore store({root.path, 3, /*no_clone=*/true, CheckpointFiles::kSnapshot});
  REQUIRE(store.open().ok());
  auto a = store.save(in.state(2), in.dir.path);
  REQUIRE(a.ok());
  CHECK(a->copied == 2);
  CHECK(a->linked == 0);
  CHECK(inode(a->dir + "/node1.log") != inode(in.dir.path + "/node1.log"));
  CHECK(read_text(a->dir + "/node1.log") == read_text(in.dir.path + "/node1.log"));
  auto b = store.save(in.state(3), in.dir.path);
  REQUIRE(b.ok());
  CHECK(b->linked == 2);  // node1, node2 from checkpoint a
  CHECK(b->copied == 1);  // node3 is new
  CHECK(inode(b->dir + "/node1.log") == inode(a->dir + "/node1.log"));
}

TEST_CASE("with keep >= 2 a save recycles the oldest checkpoint's directory", "[checkpoint]") {
  Input in(6);
  TempDir root;
  CheckpointStore store({root.path, 2, false});
  REQUIRE(store.open().ok());
  REQUIRE(store.save(in.state(2), in.dir.path).ok());
  REQUIRE(store.save(in.state(3), in.dir.path).ok());
  const ino_t kept_link = inode(root.path + "/ckpt-00000001/node1.log");
  auto c = store.save(in.state(5), in.dir.path);  // recycles ckpt-1 (node1, node2 already there)
  REQUIRE(c.ok());
  CHECK(c->reused == 2);
  CHECK(c->linked == 1);  // node3 from ckpt-2
  CHECK(c->cloned + c->copied == 2);
  CHECK(c->removed == 0);
  CHECK(*Env::posix()->list_dir(root.path) == std::vector<std::string>({".lock", "ckpt-00000002", "ckpt-00000003"}));
  CHECK(inode(c->dir + "/node1.log") == kept_link);
  auto l = store.load_latest();
  REQUIRE(l.found);
  CHECK(same_progress(l.state, in.state(5)));
  CHECK(*Env::posix()->list_dir(c->dir) ==
        std::vector<std::string>({"checkpoint.json", "node1.log", "node2.log", "node3.log", "node4.log", "node5.log"}));
  // A smaller state (after a resume that dropped files) removes the extra links from the recycled dir.
  auto d = store.save(in.state(1), in.dir.path);  // recycles ckpt-2 (node1..3)
  REQUIRE(d.ok());
  CHECK(*Env::posix()->list_dir(d->dir) == std::vector<std::string>({"checkpoint.json", "node1.log"}));
  CHECK(store.load_latest().state.processed.size() == 1);
}

TEST_CASE("plan_resume skips unchanged files and re-processes changed or gone ones", "[checkpoint]") {
  Input in(4);
  CheckpointState s = in.state(3);
  s.input_dir = "/in";
  SECTION("unchanged") {
    auto p = plan_resume(s, "/in", in.files);
    REQUIRE(p.ok());
    CHECK(p->already == 3);
    CHECK(p->done == std::vector<bool>({true, true, true, false}));
    CHECK(p->base == s.counts);
    CHECK(p->notes.empty());
  }
  SECTION("one file grew, one vanished, one is new") {
    auto cur = in.files;
    cur[1].size += 5;        // node2 changed
    cur.erase(cur.begin());  // node1 gone
    FileInfo extra{"/in/node9.log", "node9.log", 3, 1};
    cur.push_back(extra);
    auto p = plan_resume(s, "/in", cur);
    REQUIRE(p.ok());
    CHECK(p->already == 1);  // only node3 still valid
    CHECK(p->done == std::vector<bool>({false, true, false, false}));
    CHECK(p->base == s.processed[2].counts);
    REQUIRE(p->notes.size() == 2);
    CHECK(p->notes[0].find("node2.log changed") != std::string::npos);
    CHECK(p->notes[1].find("node1.log is no longer") != std::string::npos);
  }
  SECTION("same size, different mtime") {
    auto cur = in.files;
    cur[0].mtime_ns += 1;
    auto p = plan_resume(s, "/in", cur);
    REQUIRE(p.ok());
    CHECK(p->already == 2);
    CHECK(p->notes.at(0).find("mtime differs") != std::string::npos);
  }
  SECTION("another input directory is refused") {
    auto p = plan_resume(s, "/other", in.files);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().find("--fresh") != std::string::npos);
  }
}

TEST_CASE("clear removes every checkpoint", "[checkpoint]") {
  Input in(2);
  TempDir root;
  CheckpointStore store({root.path, 3, false});
  REQUIRE(store.open().ok());
  REQUIRE(store.save(in.state(1), in.dir.path).ok());
  REQUIRE(store.save(in.state(2), in.dir.path).ok());
  auto removed = store.clear();
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  CHECK_FALSE(store.load_latest().found);
  CHECK(*Env::posix()->list_dir(root.path) == std::vector<std::string>({".lock"}));
}

TEST_CASE("iso8601_utc formats seconds since the epoch", "[checkpoint]") {
  CHECK(iso8601_utc(0) == "1970-01-01T00:00:00.000");
  CHECK(iso8601_utc(1795080600.7) == "2026-11-19T09:30:00.700");
  CHECK(iso8601_utc(1767225600.0 + 59.9996) == "2026-01-01T00:01:00.000");
}

TEST_CASE("levels beyond the seed four survive a save and a load", "[checkpoint]") {
  Input in(3);
  TempDir root;
  CheckpointState s = in.state(2);
  s.processed[1].counts["FATAL"] = 1;
  s.processed[1].counts["NOTICE"] = 2;
  s.processed[1].counts.lines += 5;  // and 2 unleveled lines
  s.counts = sum_counts(s.processed);
  {
    CheckpointStore store({root.path, 2, false});
    REQUIRE(store.open().ok());
    REQUIRE(store.save(s, in.dir.path).ok());
  }
  CheckpointStore again({root.path, 2, false});
  REQUIRE(again.open().ok());
  auto l = again.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.counts == s.counts);
  CHECK(l.state.counts.get("FATAL") == 1);
  CHECK(l.state.counts.unleveled() == 2);
  CHECK(l.state.processed[1].counts.get("NOTICE") == 2);
  // A key that is not a level name is corruption, not a level.
  auto j = checkpoint_to_json(s);
  j["counts"]["fatal"] = 1;
  CHECK_FALSE(checkpoint_from_json(j).ok());
}

TEST_CASE("names with '/' (--recursive) are snapshotted in subdirectories and removed with them", "[checkpoint]") {
  TempDir input, root;
  REQUIRE(make_dirs(*Env::posix(), input.path + "/web/deep").ok());
  write_text(input.path + "/web/a.log", "[x] [INFO] a\n");
  write_text(input.path + "/web/deep/b.log", "[x] [WARN] b\n");
  DiscoverOptions o;
  o.recursive = true;
  auto files = discover_logs(input.path, o);
  REQUIRE(files.ok());
  REQUIRE(files->size() == 2);
  CHECK((*files)[1].name == "web/deep/b.log");
  CheckpointState s;
  s.timestamp = "2026-12-02T12:00:00";
  for (const auto& f : *files) s.processed.push_back({f.name, f.size, f.mtime_ns, counts(0, 0, 1, 0, 1)});
  s.counts = sum_counts(s.processed);
  {
    CheckpointStore store({root.path, 2, false, CheckpointFiles::kSnapshot});
    REQUIRE(store.open().ok());
    for (int k = 0; k < 4; ++k) {  // keep 2: older ones are recycled and deleted
      auto st = store.save(s, input.path);
      REQUIRE(st.ok());
      CHECK(exists(st->dir + "/web/deep/b.log"));
    }
  }
  auto names = Env::posix()->list_dir(root.path);
  REQUIRE(names.ok());
  CHECK(names->size() == 3);  // .lock and two checkpoints: nothing left behind
  CheckpointStore again({root.path, 2, false});
  REQUIRE(again.open().ok());
  auto l = again.load_latest();
  REQUIRE(l.found);
  CHECK(l.state.processed.size() == 2);
  for (const char* bad : {"../x.log", "a//b.log", "a/./b.log", "/abs.log", "a/", "a/../../b"}) {
    INFO(bad);
    CHECK_FALSE(valid_checkpoint_name(bad));
  }
  CHECK(valid_checkpoint_name("web/deep/b.log"));
}

}  // namespace dla
