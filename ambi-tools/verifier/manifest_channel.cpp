#include "verifier/manifest_channel.hpp"

#include <algorithm>
#include <string>
#include <variant>

#include "taps/preconnection.hpp"

namespace ambi_verifier {

namespace {

bool is_ip_literal(const std::string& host) { return ambi::IpAddress::parse(host).has_value(); }

// A TCP read is at most this large: manifests are parsed as they come, never whole.
constexpr std::size_t read_size = 64 * 1024;

// Probes after this much idle time and between probes: a dead peer is noticed within
// 5 s + 9 probes (Linux's TCP_KEEPCNT) x 5 s, even when no packet waits.
constexpr std::chrono::seconds keep_alive_timeout{5};
constexpr std::chrono::seconds establishment_timeout{10};

// OpenSSL's reason (SSL_R_CERTIFICATE_VERIFY_FAILED) in libtaps' TLS errors.
bool certificate_failure(const taps::Error& e) {
  return e.message().find("certificate verify failed") != std::string::npos;
}

}  // namespace

ManifestChannel::ManifestChannel(taps::Context& ctx, ChannelConfig config, ChannelHandlers handlers)
    : ctx_(ctx), config_(std::move(config)), handlers_(std::move(handlers)),
      reconnect_timer_(ctx), liveness_timer_(ctx) {}

ManifestChannel::~ManifestChannel() = default;

std::optional<taps::Error> ManifestChannel::start() { return connect(); }

void ManifestChannel::stop() {
  stopped_ = true;
  ++generation_;
  reconnect_timer_.cancel();
  liveness_timer_.cancel();
  // A Connection still racing finishes a Close only once its race is decided, maybe
  // after the tool's event loop has stopped (and then it leaks): Abort ends it now.
  if (connection_ && ready_) connection_.close();
  if (connection_ && !ready_) connection_.abort();
  connection_ = {};
}

void ManifestChannel::set_uris(std::vector<ambi_metadata::ManifestUri> uris) {
  if (uris.empty() || uris == config_.uris) return;
  config_.uris = std::move(uris);
  uri_index_ = 0;
  if (stopped_) return;
  ++generation_;
  reconnect_timer_.cancel();
  if (connection_) connection_.abort();
  connection_ = {};
  if (auto error = connect()) disconnected(generation_, error->message(), Cause::network);
}

std::optional<taps::Error> ManifestChannel::connect() {
  const auto& uri = config_.uris[uri_index_ % config_.uris.size()];
  taps::RemoteEndpoint remote;
  if (is_ip_literal(uri.host)) {
    remote.with_ip_address(uri.host);
  } else {
    remote.with_host_name(uri.host);
  }
  remote.with_port(uri.port);
  auto security = taps::SecurityParameters::tls();
  security.trusted_certificates = config_.ca_file;
  taps::Preconnection preconnection({}, {remote}, taps::TransportProperties(), security);
  preconnection.transport_properties().set("keepAlive", taps::Preference::prefer);
  preconnection.transport_properties().connection.keep_alive_timeout = keep_alive_timeout;

  auto generation = ++generation_;
  carried_manifest_ = false;
  ready_ = false;
  parser_ = std::make_unique<ambi::ManifestStreamParser>(config_.digest_length, config_.stream_id,
                                                         config_.max_manifest_size);
  std::weak_ptr<ManifestChannel> weak = shared_from_this();
  taps::ConnectionHandlers h;
  h.ready = [weak, generation] {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    self->ready_ = true;
    if (self->handlers_.status) {
      self->handlers_.status({ChannelStatus::Kind::connected,
                              self->config_.uris[self->uri_index_ % self->config_.uris.size()].to_string(), {}, false,
                              false, false, {}});
    }
    self->last_byte_ = std::chrono::steady_clock::now();
    self->watch(generation);
    self->receive_more(generation);
  };
  auto on_error = [weak, generation](const taps::Error& e) {
    auto cause = certificate_failure(e) ? Cause::certificate : Cause::network;
    if (auto self = weak.lock()) self->disconnected(generation, e.message(), cause);
  };
  h.establishment_error = on_error;
  h.connection_error = on_error;
  h.receive_error = on_error;
  h.closed = [weak, generation] {
    if (auto self = weak.lock()) self->disconnected(generation, "the manifest server closed the connection", Cause::end);
  };
  h.received_partial = [weak, generation](taps::Message m, taps::MessageContext, bool end) {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    self->on_bytes(generation, m);
    if (generation != self->generation_) return;
    if (end) {
      self->disconnected(generation, "the manifest server ended the stream", Cause::end);
    } else {
      self->receive_more(generation);
    }
  };
  auto connection = preconnection.initiate(ctx_, std::move(h), establishment_timeout);
  if (!connection) return connection.error();
  connection_ = *connection;
  return std::nullopt;
}

void ManifestChannel::receive_more(std::uint64_t generation) {
  if (generation == generation_ && connection_) connection_.receive(1, read_size);
}

std::chrono::milliseconds ManifestChannel::silence_limit() const {
  return std::max(3 * longest_interval_, config_.data_hold_time);
}

// One timer per connection, re-armed from the last byte's time: an arriving byte only
// updates a time point.
void ManifestChannel::watch(std::uint64_t generation) {
  // While nothing waits, silence is fine (an idle stream): look again every 250 ms.
  auto at = std::max(last_byte_ + silence_limit(), std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
  std::weak_ptr<ManifestChannel> weak = shared_from_this();
  liveness_timer_.start_at(at, [weak, generation] {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    auto now = std::chrono::steady_clock::now();
    auto limit = self->silence_limit();
    // Until two manifests have shown the server's pace, silence proves nothing: a server
    // that published once and went idle, with a forged packet waiting, is not dead.
    bool paced = self->longest_interval_.count() > 0;
    bool waiting = paced && self->handlers_.packets_waiting && self->handlers_.packets_waiting();
    if (now - self->last_byte_ >= limit && waiting) {
      auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - self->last_byte_);
      self->disconnected(generation, "no manifest byte for " + std::to_string(silent.count()) + " ms while packets wait (limit " +
                                         std::to_string(limit.count()) + " ms)",
                         Cause::network);
      return;
    }
    self->watch(generation);
  });
}

void ManifestChannel::on_bytes(std::uint64_t generation, const taps::Message& bytes) {
  last_byte_ = std::chrono::steady_clock::now();
  std::span<const std::uint8_t> in(bytes.data(), bytes.size());
  for (;;) {
    auto event = parser_->next(in);
    if (std::holds_alternative<std::monostate>(event)) return;
    if (auto* header = std::get_if<ambi::ManifestHeader>(&event)) {
      if (last_manifest_) {
        longest_interval_ = std::max(longest_interval_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                            last_byte_ - *last_manifest_));
      }
      last_manifest_ = last_byte_;
      if (handlers_.header) handlers_.header(*header);
    } else if (auto* digest = std::get_if<ambi::PacketDigest>(&event)) {
      if (handlers_.digest) handlers_.digest(*digest);
    } else if (auto* end = std::get_if<ambi::ManifestEnd>(&event)) {
      carried_manifest_ = true;
      if (handlers_.end) handlers_.end(*end);
    } else if (auto* error = std::get_if<std::error_code>(&event)) {
      disconnected(generation, "broken manifest stream: " + error->message(), Cause::protocol);
      return;
    }
    // A handler may have stopped the channel.
    if (generation != generation_) return;
  }
}

void ManifestChannel::disconnected(std::uint64_t generation, std::string error, Cause cause) {
  if (generation != generation_ || stopped_) return;
  bool orderly = cause == Cause::end && carried_manifest_ && parser_ && parser_->at_boundary();
  if (carried_manifest_ && cause != Cause::protocol) backoff_.reset();
  carried_manifest_ = false;
  last_manifest_.reset();
  liveness_timer_.cancel();
  ++generation_;
  if (connection_) connection_.abort();
  connection_ = {};
  auto uri = config_.uris[uri_index_ % config_.uris.size()].to_string();
  ++uri_index_;
  auto delay = backoff_.next();
  if (handlers_.status) {
    handlers_.status({ChannelStatus::Kind::disconnected, uri, std::move(error), cause == Cause::protocol,
                      cause == Cause::certificate, orderly, delay});
  }
  std::weak_ptr<ManifestChannel> weak = shared_from_this();
  reconnect_timer_.start(delay, [weak] {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    if (auto error = self->connect()) {
      self->disconnected(self->generation_, error->message(), Cause::network);
    }
  });
}

}  // namespace ambi_verifier
