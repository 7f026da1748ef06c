#include "dash/server.h"

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "dash/dash_test_util.h"

using namespace dla;
using namespace dla::dash;

namespace {

using testing::W;

std::shared_ptr<const DashState> snap(std::uint64_t seq, bool finished = false) {
  auto s = std::make_shared<DashState>();
  s->seq = seq;
  s->workers = {W(1, "busy", 0, "a.log"), W(2, "failed")};
  s->counts[Level::Info] = 5;
  s->counts.lines = 5;
  s->finished = finished;
  s->status = finished ? "finished" : "running";
  return s;
}

}  // namespace

TEST_CASE("dash server: listen address [ADDR:]PORT") {
  auto a = parse_listen("8080");
  REQUIRE(a.ok());
  REQUIRE(a->host == "127.0.0.1");
  REQUIRE(a->port == 8080);
  auto b = parse_listen("0.0.0.0:9");
  REQUIRE(b.ok());
  REQUIRE(b->host == "0.0.0.0");
  REQUIRE(parse_listen("[::1]:80")->host == "::1");
  for (const char* bad : {"", "x", "70000", "-1", ":80", "a b:80", "80x", "host:"}) REQUIRE_FALSE(parse_listen(bad).ok());
}

TEST_CASE("dash server: page, state, metrics; read only, 4xx for the rest") {
  SnapshotBox box;
  Server srv(&box, {});
  REQUIRE(srv.start().ok());
  REQUIRE(srv.port() > 0);
  httplib::Client c("127.0.0.1", srv.port());
  c.set_read_timeout(5, 0);
  auto none = c.Get("/api/state");
  REQUIRE(none);
  REQUIRE(none->status == 503);  // nothing published yet
  box.publish(snap(1));
  auto page = c.Get("/");
  REQUIRE(page);
  REQUIRE(page->status == 200);
  REQUIRE(page->body == dashboard_page());
  REQUIRE(page->get_header_value("Content-Type").find("text/html") == 0);
  auto st = c.Get("/api/state");
  REQUIRE(st->status == 200);
  const auto j = nlohmann::json::parse(st->body);
  REQUIRE(j["seq"] == 1);
  REQUIRE(j["workers"][1]["state"] == "failed");
  auto m = c.Get("/metrics");
  REQUIRE(m->status == 200);
  REQUIRE(m->body.find("dla_lines_total{level=\"INFO\"} 5") != std::string::npos);
  REQUIRE(c.Get("/nope")->status == 404);
  REQUIRE(c.Get("/api/state?t=3")->status == 400);  // live: no time travel
  auto post = c.Post("/api/state", "x", "text/plain");
  REQUIRE(post);
  REQUIRE(post->status >= 400);
  REQUIRE(post->status < 500);
  auto big = c.Post("/", std::string(100000, 'x'), "text/plain");  // bodies are bounded
  REQUIRE((!big || (big->status >= 400 && big->status < 500)));
  httplib::Headers huge = {{"X-Big", std::string(20000, 'y')}};
  auto h = c.Get("/api/state", huge);
  REQUIRE((!h || (h->status >= 400 && h->status < 500)));
  REQUIRE(c.Get("/api/state")->status == 200);  // still serving
  // Bound to loopback: another Host (DNS rebinding) is refused; localhost is fine.
  REQUIRE(c.Get("/api/state", {{"Host", "evil.example:80"}})->status == 403);
  REQUIRE(c.Get("/api/state", {{"Host", "localhost:" + std::to_string(srv.port())}})->status == 200);
  srv.stop();
}

TEST_CASE("dash server: replay answers state at t; bad t is a 400") {
  SnapshotBox box;
  box.publish(snap(1, true));
  Server srv(&box, {}, [](double t) -> Result<std::shared_ptr<const DashState>> {
    auto s = std::make_shared<DashState>();
    s->time = t;
    s->mode = "replay";
    return std::shared_ptr<const DashState>(s);
  });
  REQUIRE(srv.start().ok());
  httplib::Client c("127.0.0.1", srv.port());
  auto r = c.Get("/api/state?t=2.5");
  REQUIRE(r->status == 200);
  REQUIRE(nlohmann::json::parse(r->body)["time"] == 2.5);
  for (const char* bad : {"/api/state?t=abc", "/api/state?t=-1", "/api/state?t=nan", "/api/state?t=1e999", "/api/state?t="})
    REQUIRE(c.Get(bad)->status == 400);
}

TEST_CASE("dash server: the SSE stream sends each new snapshot; streams are bounded; stop ends them") {
  SnapshotBox box;
  box.publish(snap(1));
  ServerOptions o;
  o.max_streams = 1;
  o.stream_wait_ms = 100;
  Server srv(&box, o);
  REQUIRE(srv.start().ok());
  std::atomic<int> events{0};
  std::atomic<bool> stream_ended{false};
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", srv.port());
    c.set_read_timeout(10, 0);
    c.Get("/api/stream", [&](const char* data, std::size_t n) {
      const std::string chunk(data, n);
      for (std::size_t p = chunk.find("data: "); p != std::string::npos; p = chunk.find("data: ", p + 1)) ++events;
      return true;
    });
    stream_ended = true;
  });
  for (int i = 0; i < 100 && events < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(events >= 1);
  box.publish(snap(2));
  for (int i = 0; i < 100 && events < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(events >= 2);
  httplib::Client c2("127.0.0.1", srv.port());
  auto second = c2.Get("/api/stream");
  REQUIRE(second);
  REQUIRE(second->status == 503);  // one stream at most
  REQUIRE(c2.Get("/api/state")->status == 200);  // plain requests still served
  box.publish(snap(3, true));
  srv.stop();  // the run is over: the stream sends the last snapshot and ends
  reader.join();
  REQUIRE(stream_ended);
  REQUIRE(events >= 2);
}

TEST_CASE("dash server: a port in use is an error, not a crash") {
  SnapshotBox box;
  box.publish(snap(1));
  Server a(&box, {});
  REQUIRE(a.start().ok());
  ServerOptions o;
  o.port = a.port();
  Server b(&box, o);
  auto st = b.start();
  REQUIRE_FALSE(st.ok());
  REQUIRE(st.error().find("cannot listen") != std::string::npos);
}

TEST_CASE("dash server: connections beyond the pool and its queue are answered 503, not queued forever") {
  SnapshotBox box;
  box.publish(snap(1));
  ServerOptions o;
  o.threads = 1;       // the only connection thread ...
  o.max_queued = 1;    // ... one connection may wait for it ...
  o.max_streams = 1;
  o.stream_wait_ms = 50;
  Server srv(&box, o);
  REQUIRE(srv.start().ok());
  std::atomic<bool> streaming{false};
  std::thread stream([&] {  // ... and a stream holds it
    httplib::Client c("127.0.0.1", srv.port());
    c.set_read_timeout(10, 0);
    c.Get("/api/stream", [&](const char*, std::size_t) {
      streaming = true;
      return true;
    });
  });
  for (int i = 0; i < 200 && !streaming; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(streaming);
  std::atomic<int> queued_status{-1};
  std::thread queued([&] {  // waits in the queue
    httplib::Client c("127.0.0.1", srv.port());
    c.set_read_timeout(10, 0);
    auto r = c.Get("/api/state");
    queued_status = r ? r->status : 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  httplib::Client c("127.0.0.1", srv.port());  // beyond the queue: refused at once
  c.set_read_timeout(5, 0);
  auto r = c.Get("/api/state");
  REQUIRE(r);
  REQUIRE(r->status == 503);
  REQUIRE(queued_status == -1);  // still waiting for the thread
  box.publish(snap(2, true));
  srv.stop();                    // ends the stream; the waiting connection is served or closed
  stream.join();
  queued.join();
  REQUIRE(queued_status != -1);
}
