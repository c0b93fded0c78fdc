#include "ambi-manifest-send/originator.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/exit_codes.hpp"
#include "taps/preconnection.hpp"
#include "verifier/packet_endpoints.hpp"

namespace ambi_manifest_send {
namespace {

// Datagrams handed to the engine without a sent event yet, at most.
constexpr std::size_t max_in_flight = 256;
// Pacing never sends more than this many late datagrams in one burst.
constexpr auto max_catch_up = std::chrono::milliseconds(5);

}  // namespace

Originator::Originator(taps::Context& ctx, const Options& o, Handlers handlers)
    : ctx_(ctx), o_(o), handlers_(std::move(handlers)), hasher_(o.stream.hash),
      publisher_(ctx,
                 ManifestBuilder(o.stream.stream_id, o.stream.hash, o.digests_per_manifest, o.refresh_deadline_s),
                 o.manifest_interval,
                 [this](std::vector<std::uint8_t> m, const ambi::ManifestHeader& h) { on_published(std::move(m), h); }),
      cutter_(o.packet_size, o.lines ? DatagramCutter::Mode::lines : DatagramCutter::Mode::fixed_size),
      pace_timer_(ctx) {}

void Originator::start() {
  taps::RemoteEndpoint group;
  group.with_ip_address(o_.stream.group).with_port(o_.stream.port);
  taps::LocalEndpoint source;
  source.with_ip_address(o_.stream.source);
  if (o_.source_port != 0) source.with_port(o_.source_port);
  taps::Preconnection p({source}, {group}, o_.multicast_properties);
  auto& props = p.transport_properties();
  props.set("reliability", taps::Preference::prohibit);
  props.set("preserveMsgBoundaries", taps::Preference::require);
  props.multicast_hop_limit = o_.ttl;
  if (!o_.interface_name.empty()) props.set_interface(o_.interface_name, taps::Preference::require);

  taps::ConnectionHandlers h;
  h.ready = [this] {
    // The digests cover the source port, known only once the socket is bound.
    auto local = ambi_verifier::parse_address_port(connection_.local_endpoint());
    auto group = ambi::IpAddress::parse(o_.stream.group);
    if (!local || !group) {
      handlers_.failed(taps::apps::exit_establishment,
                       taps::make_error(taps::errc::establishment_failed,
                                        "cannot tell the source address and port from '" + connection_.local_endpoint() + "'"));
      return;
    }
    endpoints_ = {local->first, local->second, *group, o_.stream.port};
    if (handlers_.sending) handlers_.sending(connection_.local_endpoint());
    in_ = std::make_shared<taps::apps::FdReader>(ctx_, ::dup(STDIN_FILENO));
    next_send_ = std::chrono::steady_clock::now();
    read_more();
  };
  h.establishment_error = [this](const taps::Error& e) { handlers_.failed(taps::apps::exit_establishment, e); };
  h.sent = [this](const taps::MessageContext&) {
    --in_flight_;
    pump();
    read_more();
    check_done();
  };
  h.send_error = [this](const taps::MessageContext&, const taps::Error& e) { handlers_.failed(taps::apps::exit_connection, e); };
  h.connection_error = [this](const taps::Error& e) { handlers_.failed(taps::apps::exit_connection, e); };
  auto connection = p.initiate(ctx_, std::move(h));
  if (!connection) {
    handlers_.failed(taps::apps::exit_usage, connection.error());
    return;
  }
  connection_ = *connection;
}

void Originator::stop() {
  stopped_ = true;
  publisher_.cancel();
  pace_timer_.cancel();
  if (in_) in_->close();
  if (connection_) connection_.close();
}

// Reads only what goes out soon: a digest published long before its packet could
// expire at the verifiers first, and reading ahead would only grow memory.
std::size_t Originator::lookahead() const {
  std::size_t most = 2 * o_.digests_per_manifest + max_in_flight;
  if (o_.rate == 0) return most;
  auto soon = o_.rate * static_cast<std::uint64_t>(2 * o_.manifest_interval.count()) / 1000;
  return std::clamp<std::size_t>(soon, 1, most);
}

void Originator::read_more() {
  if (reading_ || eof_ || stopped_ || !in_ || queued() >= lookahead()) return;
  reading_ = true;
  in_->read(o_.packet_size, [this](std::error_code ec, std::vector<std::uint8_t> data) { on_stdin(ec, std::move(data)); });
}

void Originator::on_stdin(std::error_code ec, std::vector<std::uint8_t> data) {
  reading_ = false;
  if (stopped_) return;
  if (ec || data.empty()) {
    eof_ = true;
    if (auto last = cutter_.finish(); last && !add_datagram(std::move(*last))) return;
    publisher_.flush();
    check_done();
    return;
  }
  std::vector<std::vector<std::uint8_t>> datagrams;
  cutter_.feed(data, datagrams);
  for (auto& d : datagrams) {
    if (!add_datagram(std::move(d))) return;
  }
  read_more();
}

bool Originator::add_datagram(std::vector<std::uint8_t> datagram) {
  ambi::Digest digest;
  if (auto error = hasher_.digest(endpoints_, o_.stream.stream_id, datagram, digest)) {
    handlers_.failed(taps::apps::exit_connection, taps::make_error(taps::errc::invalid_configuration, error.message()));
    return false;
  }
  waiting_.emplace_back(std::move(datagram));
  publisher_.add(digest);
  return !stopped_;
}

void Originator::on_published(std::vector<std::uint8_t> manifest, const ambi::ManifestHeader& header) {
  handlers_.publish(std::move(manifest), header);
  while (!waiting_.empty()) {
    ready_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  pump();
}

void Originator::pump() {
  if (stopped_ || pace_timer_.pending()) return;
  auto gap = o_.rate ? std::chrono::nanoseconds(1'000'000'000 / o_.rate) : std::chrono::nanoseconds(0);
  while (!ready_.empty() && in_flight_ < max_in_flight) {
    auto now = std::chrono::steady_clock::now();
    if (o_.rate && now < next_send_) {
      pace_timer_.start_at(next_send_, [this] { pump(); });
      return;
    }
    next_send_ = std::max(next_send_, now - max_catch_up) + gap;
    ++packets_;
    bytes_ += ready_.front().size();
    ++in_flight_;
    connection_.send(std::move(ready_.front()));
    ready_.pop_front();
  }
  read_more();
}

void Originator::check_done() {
  if (eof_ && queued() == 0 && in_flight_ == 0 && handlers_.done) {
    auto done = std::move(handlers_.done);
    handlers_.done = nullptr;
    done();
  }
}

}  // namespace ambi_manifest_send
