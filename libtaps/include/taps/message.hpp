// Messages and Message Contexts (RFC 9622 sections 9.1 and 9.3).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "taps/capacity_profile.hpp"

namespace taps {

// The bytes of one message (or, for a byte stream, of one partial delivery). Owns them.
class Message {
 public:
  Message() = default;
  explicit Message(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  explicit Message(std::string_view text) : bytes_(text.begin(), text.end()) {}

  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  std::string_view as_string_view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  std::vector<std::uint8_t>& bytes() noexcept { return bytes_; }
  const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

using MessageId = std::uint64_t;

// Per-message properties and metadata. On send, the application fills the
// properties; on receive, the engine fills the endpoints and framer metadata.
class MessageContext {
 public:
  // Set by send(): the identity that the sent/expired/send_error events echo.
  MessageId id = 0;

  // RFC 9622 section 9.1.3 message properties.
  std::optional<std::chrono::milliseconds> msg_lifetime;  // msgLifetime; unset = infinite
  // msgPriority (9.1.3.2), non-negative: numerically lower goes first from the send
  // queue; equal priorities keep send order.
  int msg_priority = 100;
  // msgOrdered (9.1.3.3). TCP and TLS always deliver in order, whatever it says; UDP
  // never promises order. It matters on stacks that can deliver some messages out of
  // order (QUIC streams).
  bool msg_ordered = true;
  bool safely_replayable = false;                         // safelyReplayable
  // msgCapacityProfile (9.1.3.9): on UDP, this datagram's DSCP (IP_TOS / IPV6_TCLASS),
  // as the profile's RFC recommendation says. Unset: the connection's. A byte stream
  // cannot mark one message's bytes apart: TCP and TLS ignore it.
  std::optional<CapacityProfile> msg_capacity_profile;
  // noFragmentation (9.1.3.10): on UDP, this datagram is sent with Don't Fragment
  // (IPv4) / IPV6_DONTFRAG; one larger than the path MTU is a send_error
  // (std::errc::message_size) instead of being fragmented. TCP segments by itself.
  bool no_fragmentation = false;
  // final: the last message in this direction. On a TCP stream, sending it half-closes
  // (FIN); on receive it marks the peer's end of stream.
  bool final = false;

  // Where a received message came from and arrived at, as "ADDR:PORT".
  std::string remote_endpoint;
  std::string local_endpoint;
  // _taps extension, multicast receive: when the kernel received the datagram (ns since
  // the epoch, CLOCK_REALTIME); 0 when unknown. Rates and jitter measured from it do not
  // depend on how late the application got to the datagram.
  std::int64_t received_at_ns = 0;
  // _taps extension, multicast receive: the datagram's TTL / hop limit as it arrived
  // (IP_RECVTTL, IPV6_RECVHOPLIMIT); -1 when unknown. The sender's hop limit less this
  // is the number of routers on the way.
  int received_hop_limit = -1;

  // Metadata namespaced by framer (e.g. set("lp", "length", "12")).
  void set(std::string_view framer, std::string_view name, std::string value) {
    if (!metadata_) {
      metadata_ = std::make_shared<Metadata>();
    } else if (metadata_.use_count() > 1) {
      metadata_ = std::make_shared<Metadata>(*metadata_);
    }
    (*metadata_)[{std::string(framer), std::string(name)}] = std::move(value);
  }
  std::optional<std::string> get(std::string_view framer, std::string_view name) const {
    if (!metadata_) return std::nullopt;
    auto it = metadata_->find({std::string(framer), std::string(name)});
    if (it == metadata_->end()) return std::nullopt;
    return it->second;
  }

 private:
  // Allocated only when a framer sets metadata, and shared by copies until one of them
  // sets more: a context travels with every message, most carry none, and a receiver
  // that stamps the same metadata on every datagram copies one prototype.
  using Metadata = std::map<std::pair<std::string, std::string>, std::string>;
  std::shared_ptr<Metadata> metadata_;
};

}  // namespace taps
