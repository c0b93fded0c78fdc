#include "ambi-manifest-send/witness.hpp"

#include "common/exit_codes.hpp"
#include "taps/preconnection.hpp"

namespace ambi_manifest_send {

Witness::Witness(taps::Context& ctx, const Options& o, Handlers handlers)
    : ctx_(ctx), o_(o), handlers_(std::move(handlers)), hasher_(o.stream.hash),
      publisher_(ctx,
                 ManifestBuilder(o.stream.stream_id, o.stream.hash, o.digests_per_manifest, o.refresh_deadline_s),
                 o.manifest_interval, handlers_.publish) {}

void Witness::start() {
  taps::LocalEndpoint local;
  local.with_port(o_.stream.port);
  local.with_single_source_multicast_group(o_.stream.group, o_.stream.source);
  if (!o_.interface_name.empty()) local.with_interface(o_.interface_name);
  taps::Preconnection p;
  p.local_endpoints() = {local};
  p.transport_properties() = o_.multicast_properties;
  p.transport_properties().set("reliability", taps::Preference::prohibit);
  p.transport_properties().set_direction(taps::Direction::unidirectional_receive);
  taps::ListenerHandlers h;
  h.joined = handlers_.joined;
  h.establishment_error = [this](const taps::Error& e) {
    handlers_.failed(taps::apps::exit_code_for_establishment(e.code), e);
  };
  h.connection_received = [this](taps::Connection c) { return on_sender(std::move(c)); };
  auto listener = p.listen(ctx_, std::move(h));
  if (!listener) {
    handlers_.failed(taps::apps::exit_code_for_establishment(listener.error().code), listener.error());
    return;
  }
  listener_ = *listener;
}

taps::ConnectionHandlers Witness::on_sender(taps::Connection c) {
  auto& s = *senders_.emplace_back(std::make_unique<Sender>(Sender{c, {}}));
  taps::ConnectionHandlers h;
  h.received = [this, &s](taps::Message m, taps::MessageContext ctx) {
    on_datagram(s, m, ctx);
    s.connection.receive();
  };
  c.receive();
  return h;
}

void Witness::on_datagram(Sender& s, const taps::Message& m, const taps::MessageContext& ctx) {
  const auto* endpoints = s.endpoints.get(ctx.remote_endpoint, ctx.local_endpoint);
  ambi::Digest digest;
  if (!endpoints || (o_.source_port != 0 && endpoints->source_port != o_.source_port)) return;
  if (hasher_.digest(*endpoints, o_.stream.stream_id, {m.data(), m.size()}, digest)) return;
  ++packets_;
  bytes_ += m.size();
  publisher_.add(digest);
}

void Witness::stop() {
  publisher_.flush();
  publisher_.cancel();
  for (auto& s : senders_) s->connection.close();
  if (listener_) listener_.stop();
}

}  // namespace ambi_manifest_send
