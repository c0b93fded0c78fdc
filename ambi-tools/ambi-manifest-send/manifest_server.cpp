#include "ambi-manifest-send/manifest_server.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "taps/preconnection.hpp"
#include "taps/timer.hpp"

namespace ambi_manifest_send {

struct ManifestServer::Verifier {
  taps::Connection connection;
  std::string peer;
  std::uint64_t next = 0;   // the index of the next manifest to hand to the Connection
  std::uint64_t taken = 0;  // published bytes before this offset are on the wire (sent events)
  std::deque<std::size_t> in_flight;  // sizes handed to the Connection without a sent event, in order
  std::size_t in_flight_bytes = 0;
  bool cut_off = false;
};

struct ManifestServer::Waiter {
  explicit Waiter(taps::Context& ctx) : timer(ctx) {}
  taps::Timer timer;
  std::function<void()> done;
};

ManifestServer::ManifestServer(taps::Context& ctx, ServerConfig config, ServerHandlers handlers)
    : ctx_(ctx), config_(std::move(config)), handlers_(std::move(handlers)) {}

ManifestServer::~ManifestServer() = default;

std::optional<taps::Error> ManifestServer::start() {
  taps::LocalEndpoint local;
  if (!config_.host.empty()) local.with_ip_address(config_.host);
  local.with_port(config_.port);
  auto security = taps::SecurityParameters::tls();
  security.server_certificate = {config_.cert_file, config_.key_file};
  taps::Preconnection p({local}, {}, taps::TransportProperties(), security);
  taps::ListenerHandlers h;
  h.listening = [this](const std::vector<taps::ListeningEndpoint>& locals) {
    if (handlers_.listening && !locals.empty()) handlers_.listening(locals.front().local);
  };
  h.establishment_error = [this](const taps::Error& e) {
    if (handlers_.failed) handlers_.failed(e);
  };
  h.soft_error = [this](const taps::Error& e) {
    if (handlers_.verifier) handlers_.verifier("error", {}, e.message());
  };
  h.connection_received = [this](taps::Connection c) { return on_verifier(std::move(c)); };
  auto listener = p.listen(ctx_, std::move(h));
  if (!listener) return listener.error();
  listener_ = *listener;
  return std::nullopt;
}

taps::ConnectionHandlers ManifestServer::on_verifier(taps::Connection c) {
  if (verifiers_.size() >= config_.max_verifiers) {
    ++refused_;
    if (handlers_.verifier) {
      handlers_.verifier("refused", c.remote_endpoint(), fmt::format("{} verifiers already served (--max-verifiers)", verifiers_.size()));
    }
    c.abort();
    return {};
  }
  auto& v = *verifiers_.emplace_back(std::make_unique<Verifier>());
  v.connection = c;
  v.peer = c.remote_endpoint();
  Verifier* raw = &v;
  if (handlers_.verifier) handlers_.verifier("connected", v.peer, {});
  taps::ConnectionHandlers h;
  h.sent = [this, raw](const taps::MessageContext&) {
    raw->taken += raw->in_flight.front();
    raw->in_flight_bytes -= raw->in_flight.front();
    raw->in_flight.pop_front();
    pump(*raw);
    check_flushed();
  };
  // A verifier sends nothing; reading only notices its end.
  h.received_partial = [raw](taps::Message, taps::MessageContext, bool end) {
    if (end) {
      raw->connection.close();
    } else {
      raw->connection.receive();
    }
  };
  h.closed = [this, raw] {
    if (handlers_.verifier) handlers_.verifier("closed", raw->peer, {});
    remove(raw);
  };
  h.connection_error = [this, raw](const taps::Error& e) {
    if (handlers_.verifier && e.code != taps::errc::connection_aborted) handlers_.verifier("error", raw->peer, e.message());
    remove(raw);
  };
  c.receive();
  // The recent history, but never so much that it alone would cut the verifier off.
  auto now = std::chrono::steady_clock::now();
  v.next = history_front_ + history_.size();
  v.taken = published_;
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (now - it->at > config_.history || published_ - it->start > config_.max_backlog / 2) break;
    --v.next;
    v.taken = it->start;
  }
  pump(v);
  return h;
}

void ManifestServer::publish(std::vector<std::uint8_t> manifest) {
  auto now = std::chrono::steady_clock::now();
  auto size = manifest.size();
  history_.push_back({now, published_, std::make_shared<const std::vector<std::uint8_t>>(std::move(manifest))});
  history_bytes_ += size;
  published_ += size;
  for (auto& v : verifiers_) {
    if (v->cut_off) continue;
    if (published_ - v->taken > config_.max_backlog) {
      cut_off(*v);
    } else {
      pump(*v);
    }
  }
  trim_history(now);
}

// Hands the verifier's Connection what it lacks, up to the window.
void ManifestServer::pump(Verifier& v) {
  if (v.cut_off) return;
  if (v.next < history_front_) {
    cut_off(v);
    return;
  }
  while (v.next < history_front_ + history_.size() && v.in_flight_bytes < config_.window) {
    const auto& bytes = *history_[v.next - history_front_].bytes;
    v.in_flight.push_back(bytes.size());
    v.in_flight_bytes += bytes.size();
    ++v.next;
    v.connection.send(taps::Message(bytes));
  }
}

void ManifestServer::cut_off(Verifier& v) {
  v.cut_off = true;
  if (handlers_.verifier) {
    handlers_.verifier("cut_off", v.peer,
                       fmt::format("{} bytes not yet taken (bound {})", published_ - v.taken, config_.max_backlog));
  }
  v.connection.abort();
}

// Keeps what a new verifier gets (recent, and within the bound) and what a connected one
// has yet to take; never more than max_backlog bytes: whoever still needs older ones is
// that far behind, and was cut off.
void ManifestServer::trim_history(std::chrono::steady_clock::time_point now) {
  std::uint64_t needed = history_front_ + history_.size();
  for (const auto& v : verifiers_) {
    if (!v->cut_off) needed = std::min(needed, v->next);
  }
  while (!history_.empty()) {
    const auto& front = history_.front();
    bool over = history_bytes_ > config_.max_backlog;
    bool recent = now - front.at <= config_.history;
    if (!over && (recent || history_front_ >= needed)) break;
    history_bytes_ -= front.bytes->size();
    history_.pop_front();
    ++history_front_;
  }
}

void ManifestServer::remove(Verifier* v) {
  verifiers_.remove_if([v](const auto& p) { return p.get() == v; });
  check_flushed();
}

void ManifestServer::when_flushed(std::chrono::milliseconds limit, std::function<void()> done) {
  flushed_ = std::make_unique<Waiter>(ctx_);
  flushed_->done = std::move(done);
  flushed_->timer.start(limit, [this] {
    auto done = std::move(flushed_->done);
    flushed_.reset();
    done();
  });
  check_flushed();
}

void ManifestServer::check_flushed() {
  if (!flushed_) return;
  for (const auto& v : verifiers_) {
    if (v->taken < published_ && !v->cut_off) return;
  }
  auto done = std::move(flushed_->done);
  flushed_->timer.cancel();
  flushed_.reset();
  ctx_.post(std::move(done));
}

void ManifestServer::stop() {
  if (listener_) listener_.stop();
  for (auto& v : verifiers_) v->connection.close();
}

}  // namespace ambi_manifest_send
