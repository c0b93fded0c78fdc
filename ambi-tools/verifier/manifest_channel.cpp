#include "verifier/manifest_channel.hpp"

#include <asio/steady_timer.hpp>

#include <variant>

#include "taps/preconnection.hpp"

namespace ambi_verifier {

struct ManifestChannel::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

namespace {

bool is_ip_literal(const std::string& host) { return ambi::IpAddress::parse(host).has_value(); }

// A TCP read is at most this large: manifests are parsed as they come, never whole.
constexpr std::size_t read_size = 64 * 1024;

}  // namespace

ManifestChannel::ManifestChannel(taps::Context& ctx, ChannelConfig config, ChannelHandlers handlers)
    : ctx_(ctx), config_(std::move(config)), handlers_(std::move(handlers)),
      timer_(std::make_unique<Timer>(ctx.io_context())) {}

ManifestChannel::~ManifestChannel() = default;

std::optional<taps::Error> ManifestChannel::start() { return connect(); }

void ManifestChannel::stop() {
  stopped_ = true;
  ++generation_;
  timer_->timer.cancel();
  if (connection_) connection_.close();
  connection_ = {};
}

void ManifestChannel::set_uris(std::vector<ambi_metadata::ManifestUri> uris) {
  if (uris.empty() || uris == config_.uris) return;
  config_.uris = std::move(uris);
  uri_index_ = 0;
  if (stopped_) return;
  ++generation_;
  timer_->timer.cancel();
  if (connection_) connection_.abort();
  connection_ = {};
  if (auto error = connect()) disconnected(generation_, error->message(), false);
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
  preconnection.transport_properties().conn_timeout = std::chrono::seconds(10);

  auto generation = ++generation_;
  parser_ = std::make_unique<ambi::ManifestStreamParser>(config_.digest_length, config_.stream_id,
                                                         config_.max_manifest_size);
  std::weak_ptr<ManifestChannel> weak = shared_from_this();
  taps::ConnectionHandlers h;
  h.ready = [weak, generation] {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    if (self->handlers_.status) {
      self->handlers_.status({ChannelStatus::Kind::connected,
                              self->config_.uris[self->uri_index_ % self->config_.uris.size()].to_string(), {}, false,
                              {}});
    }
    self->receive_more(generation);
  };
  auto on_error = [weak, generation](const taps::Error& e) {
    if (auto self = weak.lock()) self->disconnected(generation, e.message(), false);
  };
  h.establishment_error = on_error;
  h.connection_error = on_error;
  h.receive_error = on_error;
  h.closed = [weak, generation] {
    if (auto self = weak.lock()) self->disconnected(generation, "the manifest server closed the connection", false);
  };
  h.received_partial = [weak, generation](taps::Message m, taps::MessageContext, bool end) {
    auto self = weak.lock();
    if (!self || generation != self->generation_) return;
    self->on_bytes(generation, m);
    if (generation != self->generation_) return;
    if (end) {
      self->disconnected(generation, "the manifest server ended the stream", false);
    } else {
      self->receive_more(generation);
    }
  };
  auto connection = preconnection.initiate(ctx_, std::move(h));
  if (!connection) return connection.error();
  connection_ = *connection;
  return std::nullopt;
}

void ManifestChannel::receive_more(std::uint64_t generation) {
  if (generation == generation_ && connection_) connection_.receive(1, read_size);
}

void ManifestChannel::on_bytes(std::uint64_t generation, const taps::Message& bytes) {
  std::span<const std::uint8_t> in(bytes.data(), bytes.size());
  for (;;) {
    auto event = parser_->next(in);
    if (std::holds_alternative<std::monostate>(event)) return;
    if (auto* header = std::get_if<ambi::ManifestHeader>(&event)) {
      if (handlers_.header) handlers_.header(*header);
    } else if (auto* digest = std::get_if<ambi::PacketDigest>(&event)) {
      if (handlers_.digest) handlers_.digest(*digest);
    } else if (auto* end = std::get_if<ambi::ManifestEnd>(&event)) {
      backoff_.reset();
      if (handlers_.end) handlers_.end(*end);
    } else if (auto* error = std::get_if<std::error_code>(&event)) {
      disconnected(generation, "broken manifest stream: " + error->message(), true);
      return;
    }
    // A handler may have stopped the channel.
    if (generation != generation_) return;
  }
}

void ManifestChannel::disconnected(std::uint64_t generation, std::string error, bool protocol_error) {
  if (generation != generation_ || stopped_) return;
  ++generation_;
  if (connection_) connection_.abort();
  connection_ = {};
  auto uri = config_.uris[uri_index_ % config_.uris.size()].to_string();
  ++uri_index_;
  auto delay = backoff_.next();
  if (handlers_.status) handlers_.status({ChannelStatus::Kind::disconnected, uri, std::move(error), protocol_error, delay});
  timer_->timer.expires_after(delay);
  std::weak_ptr<ManifestChannel> weak = shared_from_this();
  timer_->timer.async_wait([weak](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    if (auto error = self->connect()) {
      self->disconnected(self->generation_, error->message(), false);
    }
  });
}

}  // namespace ambi_verifier
