#include "dash/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <thread>
#include <vector>

namespace dla::dash {

// ---- SnapshotBox -------------------------------------------------------------------------------

void SnapshotBox::publish(std::shared_ptr<const DashState> s) {
  {
    std::lock_guard<std::mutex> l(mu_);
    s_ = std::move(s);
  }
  cv_.notify_all();
}

std::shared_ptr<const DashState> SnapshotBox::latest() const {
  std::lock_guard<std::mutex> l(mu_);
  return s_;
}

std::shared_ptr<const DashState> SnapshotBox::wait_newer(std::uint64_t seq, int max_wait_ms) const {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(max_wait_ms), [&] { return closed_ || (s_ && s_->seq != seq); });
  return s_;
}

void SnapshotBox::close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool SnapshotBox::closed() const {
  std::lock_guard<std::mutex> l(mu_);
  return closed_;
}

// ---- listen address ------------------------------------------------------------------------------

Result<ServerOptions> parse_listen(const std::string& spec, ServerOptions base) {
  std::string host = base.host, port = spec;
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos) {
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty() || host.size() > 253) return Error{"--dashboard: bad address in '" + spec + "' (want [ADDR:]PORT)"};
    for (char c : host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':'))
        return Error{"--dashboard: bad address in '" + spec + "' (want [ADDR:]PORT)"};
  }
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || !end || *end || p < 0 || p > 65535)
    return Error{"--dashboard: bad port in '" + spec + "' (want [ADDR:]PORT, PORT 0..65535)"};
  base.host = host;
  base.port = static_cast<int>(p);
  return base;
}

// ---- the bounded connection queue ------------------------------------------------------------

namespace {

thread_local bool t_reject = false;  // this connection is answered 503 (the queue was full)

// A fixed pool; connections beyond `max_queued` waiting go to one overflow thread that answers
// them 503 (httplib hands over a job that owns the socket: it must run to close it).
class BoundedQueue : public httplib::TaskQueue {
 public:
  BoundedQueue(int threads, int max_queued) : max_queued_(static_cast<std::size_t>(max_queued)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(jobs_, false); });
    threads_.emplace_back([this] { loop(overflow_, true); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      // The overflow queue is bounded by the process's file descriptors (each job holds one).
      (jobs_.size() < max_queued_ ? jobs_ : overflow_).push_back(std::move(fn));
    }
    cv_.notify_all();
  }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      down_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void loop(std::deque<std::function<void()>>& q, bool reject) {
    t_reject = reject;
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return down_ || !q.empty(); });
        if (q.empty()) return;
        fn = std::move(q.front());
        q.pop_front();
      }
      fn();
    }
  }
  std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_, overflow_;
  bool down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

// ---- Server ------------------------------------------------------------------------------------

struct Server::Impl {
  SnapshotBox* box;
  ServerOptions opt;
  StateAt at;
  httplib::Server svr;
  std::thread listener;
  std::atomic<int> streams{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> listener_done{false};
  int port = -1;

  void routes();
  void stream(httplib::Response& res);
  std::shared_ptr<const DashState> state_for(const httplib::Request& req, httplib::Response& res);
};

namespace {

void security_headers(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
}

void fail(httplib::Response& res, int code, const std::string& msg) {
  res.status = code;
  res.set_content("error: " + msg + "\n", "text/plain; charset=utf-8");
}

}  // namespace

std::shared_ptr<const DashState> Server::Impl::state_for(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("t")) {
    auto s = box->latest();
    if (!s) fail(res, 503, "no snapshot yet");
    return s;
  }
  if (!at) {
    fail(res, 400, "t= is for a replayed trace (dla-scenario dashboard); a live run has only its present");
    return nullptr;
  }
  const std::string v = req.get_param_value("t");
  char* end = nullptr;
  const double t = std::strtod(v.c_str(), &end);
  if (v.empty() || v.size() > 32 || !end || *end || !std::isfinite(t) || t < 0) {
    fail(res, 400, "t must be a number of seconds >= 0");
    return nullptr;
  }
  auto r = at(t);
  if (!r) {
    fail(res, 400, r.error());
    return nullptr;
  }
  return *r;
}

void Server::Impl::stream(httplib::Response& res) {
  if (streams.fetch_add(1) >= opt.max_streams) {
    streams.fetch_sub(1);
    fail(res, 503, "too many live streams open (at most " + std::to_string(opt.max_streams) + "); poll /api/state instead");
    return;
  }
  auto last = std::make_shared<std::uint64_t>(~std::uint64_t{0});
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, last](std::size_t, httplib::DataSink& sink) {
        if (stopping) return false;
        auto s = box->wait_newer(*last, opt.stream_wait_ms);
        if (!sink.is_writable() || stopping) return false;
        std::string msg;
        if (s && s->seq != *last) {
          *last = s->seq;
          msg = "retry: 2000\ndata: " + to_json(*s).dump() + "\n\n";
        } else {
          msg = ": keep-alive\n\n";
        }
        if (!sink.write(msg.data(), msg.size())) return false;
        if (box->closed() && s && s->seq == *last) sink.done();  // the run is over: the last snapshot was sent
        return true;
      },
      [this](bool) { streams.fetch_sub(1); });
}

namespace {

// On a loopback address only a loopback Host is served: a web page elsewhere cannot read the run
// through DNS rebinding (its requests carry its own host name).
bool loopback_host(const std::string& host_header) {
  std::string h = host_header;
  if (!h.empty() && h.front() == '[') h = h.substr(1, h.find(']') == std::string::npos ? std::string::npos : h.find(']') - 1);
  else if (const auto c = h.rfind(':'); c != std::string::npos) h = h.substr(0, c);
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

}  // namespace

void Server::Impl::routes() {
  const bool local_only = loopback_host(opt.host);
  svr.set_pre_routing_handler([local_only](const httplib::Request& req, httplib::Response& res) {
    security_headers(res);
    if (t_reject) {
      fail(res, 503, "busy: too many connections");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (local_only && !loopback_host(req.get_header_value("Host"))) {
      fail(res, 403, "this dashboard answers only to localhost / 127.0.0.1 (Host header)");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto page = [](const httplib::Request&, httplib::Response& res) { res.set_content(dashboard_page(), "text/html; charset=utf-8"); };
  svr.Get("/", page);
  svr.Get("/index.html", page);
  svr.Get("/api/state", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto s = state_for(req, res)) res.set_content(to_json(*s).dump(), "application/json");
  });
  svr.Get("/api/stream", [this](const httplib::Request&, httplib::Response& res) { stream(res); });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto s = box->latest();
    if (!s) return fail(res, 503, "no snapshot yet");
    res.set_content(metrics_text(*s), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Anything else: httplib answers 404 (unknown path) or 400 (a request it cannot parse).
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content("error: " + std::to_string(res.status) + "\n", "text/plain; charset=utf-8");
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) { fail(res, 500, "internal error"); });
}

Server::Server(SnapshotBox* box, ServerOptions o, StateAt at) : impl_(std::make_unique<Impl>()) {
  impl_->box = box;
  impl_->opt = std::move(o);
  impl_->at = std::move(at);
  const int threads = std::max(1, impl_->opt.threads), queued = std::max(1, impl_->opt.max_queued);
  impl_->svr.new_task_queue = [threads, queued] { return new BoundedQueue(threads, queued); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second run on the same
  // port would silently share it instead of being told the port is taken.
  impl_->svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof yes);
  });
  impl_->svr.set_payload_max_length(1024);
  impl_->svr.set_read_timeout(5, 0);
  impl_->svr.set_write_timeout(5, 0);
  impl_->svr.set_keep_alive_max_count(100);
  impl_->svr.set_keep_alive_timeout(5);
  impl_->routes();
}

Server::~Server() { stop(); }

Status Server::start() {
  Impl& m = *impl_;
  if (m.listener.joinable()) return OkStatus();
  m.port = m.opt.port == 0 ? m.svr.bind_to_any_port(m.opt.host) : (m.svr.bind_to_port(m.opt.host, m.opt.port) ? m.opt.port : -1);
  if (m.port < 0) return Error{"cannot listen on " + m.opt.host + ":" + std::to_string(m.opt.port) + " (in use, or not an address of this host)", Code::kIOError};
  m.listener = std::thread([&m] {
    m.svr.listen_after_bind();
    m.listener_done = true;
  });
  // httplib's stop() does nothing until the listener runs: wait for it (stop() must always work).
  for (int i = 0; i < 5000 && !m.svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return OkStatus();
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  const std::string h = impl_->opt.host.find(':') != std::string::npos ? "[" + impl_->opt.host + "]" : impl_->opt.host;
  return "http://" + h + ":" + std::to_string(impl_->port) + "/";
}

void Server::stop() {
  Impl& m = *impl_;
  if (!m.listener.joinable()) return;
  m.stopping = true;
  m.box->close();
  while (!m.svr.is_running() && !m.listener_done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  m.svr.stop();
  m.listener.join();
}

}  // namespace dla::dash
