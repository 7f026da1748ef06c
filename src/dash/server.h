// The dashboard's HTTP server: the embedded page, GET /api/state, GET /api/stream (Server-Sent
// Events: a snapshot each time a new one is published, a keep-alive comment otherwise), GET
// /metrics (Prometheus text). Built on cpp-httplib (Debian's libcpp-httplib-dev); it never calls
// MPI and never touches the run: it only reads what the producer publishes in a SnapshotBox.
//
// Bounds (a dashboard must never hurt the job): a fixed pool of `threads` connection threads, at
// most `max_streams` SSE streams at once (503 beyond), at most `max_queued` connections waiting
// for a thread (beyond: answered 503 by one overflow thread), request bodies of at most 1 KiB,
// headers and URIs bounded by httplib (8 KiB), read / write timeouts of a few seconds. Only GET
// (and HEAD) of the four paths; anything else is a 4xx. Binds 127.0.0.1 unless told otherwise, and
// then answers only requests whose Host is a loopback name (no DNS rebinding from a web page).
//
// Thread-safety: SnapshotBox is safe from any thread. Server's methods are called by the thread
// that owns it; the server runs on its own threads between start() and stop().
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"
#include "dash/dash_state.h"

namespace dla::dash {

class SnapshotBox {
 public:
  void publish(std::shared_ptr<const DashState> s);
  std::shared_ptr<const DashState> latest() const;
  // The latest snapshot once its seq differs from `seq`, or after `max_wait_ms`, or once closed
  // (whichever first); may return the same snapshot again (nullptr before the first publish).
  std::shared_ptr<const DashState> wait_newer(std::uint64_t seq, int max_wait_ms) const;
  // No more snapshots will come (streams send the last one and end).
  void close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::shared_ptr<const DashState> s_;
  bool closed_ = false;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;            // 0: any free port (see Server::port())
  int threads = 4;
  int max_streams = 2;     // concurrent SSE streams
  int max_queued = 32;     // connections waiting for a thread
  int stream_wait_ms = 1000;  // SSE: a keep-alive comment after this long without a new snapshot
};

// "[ADDR:]PORT": PORT 0..65535, ADDR an IPv4 address or a name (default 127.0.0.1).
Result<ServerOptions> parse_listen(const std::string& spec, ServerOptions base = {});

// Replay: the state at time t (seconds since the run's start), or an error for a bad t.
using StateAt = std::function<Result<std::shared_ptr<const DashState>>(double t)>;

class Server {
 public:
  // `box` must outlive the server. `at`: replay mode (GET /api/state?t=SEC); empty: live.
  Server(SnapshotBox* box, ServerOptions o, StateAt at = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Binds and starts serving on its own thread. Error (kIO): the address cannot be bound.
  Status start();
  int port() const;        // the bound port, after start()
  std::string url() const;  // http://host:port/
  // Stops accepting, ends the streams, joins every thread. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The page (HTML, CSS and JS in one document, compiled in).
const std::string& dashboard_page();

}  // namespace dla::dash
