#include "ambi-manifest-send/manifest_server.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "taps/preconnection.hpp"

namespace ambi_manifest_send {

struct ManifestServer::Verifier {
  taps::Connection connection;
  std::string peer;
  std::deque<std::size_t> in_flight;  // sizes of sent manifests without a sent event, in order
  std::size_t backlog = 0;
  bool cut_off = false;
};

struct ManifestServer::Waiter {
  explicit Waiter(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
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
  h.listening = [this](const std::vector<std::string>& locals) {
    if (handlers_.listening && !locals.empty()) handlers_.listening(locals.front());
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
  auto& v = *verifiers_.emplace_back(std::make_unique<Verifier>(Verifier{c, c.remote_endpoint(), {}, 0, false}));
  Verifier* raw = &v;
  if (handlers_.verifier) handlers_.verifier("connected", v.peer, {});
  taps::ConnectionHandlers h;
  h.sent = [this, raw](const taps::MessageContext&) {
    raw->backlog -= raw->in_flight.front();
    raw->in_flight.pop_front();
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
  auto now = std::chrono::steady_clock::now();
  for (const auto& past : history_) {
    if (now - past.at <= config_.history) send(v, past.bytes);
  }
  return h;
}

void ManifestServer::publish(std::vector<std::uint8_t> manifest) {
  for (auto& v : verifiers_) send(*v, manifest);
  auto now = std::chrono::steady_clock::now();
  history_bytes_ += manifest.size();
  history_.push_back({now, std::move(manifest)});
  while (!history_.empty() && (history_bytes_ > config_.max_history_bytes || now - history_.front().at > config_.history)) {
    history_bytes_ -= history_.front().bytes.size();
    history_.pop_front();
  }
}

void ManifestServer::send(Verifier& v, std::vector<std::uint8_t> bytes) {
  if (v.cut_off) return;
  if (v.backlog + bytes.size() > config_.max_backlog) {
    v.cut_off = true;
    if (handlers_.verifier) {
      handlers_.verifier("cut_off", v.peer, fmt::format("{} bytes not yet taken (bound {})", v.backlog, config_.max_backlog));
    }
    v.connection.abort();
    return;
  }
  v.backlog += bytes.size();
  v.in_flight.push_back(bytes.size());
  v.connection.send(taps::Message(std::move(bytes)));
}

void ManifestServer::remove(Verifier* v) {
  verifiers_.remove_if([v](const auto& p) { return p.get() == v; });
  check_flushed();
}

void ManifestServer::when_flushed(std::chrono::milliseconds limit, std::function<void()> done) {
  flushed_ = std::make_unique<Waiter>(ctx_.io_context());
  flushed_->done = std::move(done);
  flushed_->timer.expires_after(limit);
  flushed_->timer.async_wait([this](std::error_code ec) {
    if (ec || !flushed_) return;
    auto done = std::move(flushed_->done);
    flushed_.reset();
    done();
  });
  check_flushed();
}

void ManifestServer::check_flushed() {
  if (!flushed_) return;
  for (const auto& v : verifiers_) {
    if (v->backlog > 0 && !v->cut_off) return;
  }
  auto done = std::move(flushed_->done);
  flushed_->timer.cancel();
  flushed_.reset();
  asio::post(ctx_.io_context(), std::move(done));
}

void ManifestServer::stop() {
  if (listener_) listener_.stop();
  for (auto& v : verifiers_) v->connection.close();
}

}  // namespace ambi_manifest_send
