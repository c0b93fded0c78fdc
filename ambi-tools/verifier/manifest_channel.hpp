// The verifier's `ambi+tls` connection (draft-ietf-mboned-ambi-05 section 4): TLS 1.3
// through libtaps, the server's certificate and name verified (against --ca, or the
// system store), manifests parsed as the bytes stream in, so that each digest is usable
// as soon as it is complete. The client sends nothing.
//
// A broken stream (wrong Manifest Stream Identifier, TLVs that do not fill TLV Space,
// an oversized manifest) is disconnected at once; after it, and after any lost or
// refused connection, the channel reconnects after a Backoff delay, trying the URIs in
// turn. A connection is alive only while manifest bytes arrive: once two manifests have
// shown the server's pace, silence for max(3 x the longest interval between manifests
// seen, data-hold-time) while packets wait for digests (a blackholed server, a half-open
// TCP connection) is a disconnect too (forged packets can cause one too, at most one
// per silence limit, with the usual backoff); TCP keep-alive (RFC 9622 keepAlive, 5 s) catches a dead peer while idle. The
// backoff starts over only after a connection that carried a complete
// manifest and did not end in a broken stream: a server that sends one good manifest
// and then garbage is retried at doubling intervals, not every second. Digests already handed out stay valid: a manifest cut mid-stream loses only
// its missing digests.
//
// Everything runs on the taps::Context's thread; handlers are called from there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ambi/manifest_stream_parser.hpp"
#include "metadata/metadata.hpp"
#include "taps/connection.hpp"
#include "taps/context.hpp"
#include "taps/timer.hpp"
#include "verifier/backoff.hpp"

namespace ambi_verifier {

struct ChannelConfig {
  std::vector<ambi_metadata::ManifestUri> uris;  // at least one
  std::string ca_file;                           // empty: the system trust store
  std::uint32_t stream_id = 0;
  std::size_t digest_length = 32;
  std::size_t max_manifest_size = ambi::max_manifest_size;
  // Liveness: silence longer than max(3 x the longest manifest interval seen, this)
  // while packets wait means the channel is dead.
  std::chrono::milliseconds data_hold_time{2000};
};

struct ChannelStatus {
  enum class Kind { connected, disconnected };
  Kind kind = Kind::disconnected;
  std::string uri;
  std::string error;                      // why it disconnected
  bool protocol_error = false;            // the server sent a broken stream
  bool certificate_error = false;         // the server's certificate failed verification
  bool orderly = false;                   // the server ended the stream between manifests, after one
  std::chrono::milliseconds retry_in{0};  // when disconnected: the next attempt's delay
};

struct ChannelHandlers {
  std::function<void(const ambi::ManifestHeader&)> header;
  std::function<void(const ambi::PacketDigest&)> digest;
  std::function<void(const ambi::ManifestEnd&)> end;
  std::function<void(const ChannelStatus&)> status;
  // Whether packets wait for digests now (then silence on the channel is a failure).
  std::function<bool()> packets_waiting;
};

class ManifestChannel : public std::enable_shared_from_this<ManifestChannel> {
 public:
  ManifestChannel(taps::Context& ctx, ChannelConfig config, ChannelHandlers handlers);
  ~ManifestChannel();
  ManifestChannel(const ManifestChannel&) = delete;
  ManifestChannel& operator=(const ManifestChannel&) = delete;

  // Connects to the first URI. Returns a configuration error (a bad CA file, an
  // unusable URI) at once; network failures only lead to status events and retries.
  std::optional<taps::Error> start();
  // Closes the connection and stops retrying.
  void stop();
  // New URIs (metadata refreshed): used from the next connection on, which starts now
  // when they differ from the current ones.
  void set_uris(std::vector<ambi_metadata::ManifestUri> uris);

 private:
  std::optional<taps::Error> connect();
  void on_bytes(std::uint64_t generation, const taps::Message& bytes);
  enum class Cause { network, protocol, certificate, end };
  void disconnected(std::uint64_t generation, std::string error, Cause cause);
  void receive_more(std::uint64_t generation);
  std::chrono::milliseconds silence_limit() const;
  void watch(std::uint64_t generation);

  taps::Context& ctx_;
  ChannelConfig config_;
  ChannelHandlers handlers_;
  taps::Timer reconnect_timer_;
  taps::Timer liveness_timer_;  // the next silence check
  Backoff backoff_;
  std::size_t uri_index_ = 0;
  // Each connection has a generation: events of an older one are ignored.
  std::uint64_t generation_ = 0;
  taps::Connection connection_;
  std::unique_ptr<ambi::ManifestStreamParser> parser_;
  // The current connection carried a complete manifest: unless it ends in a protocol
  // error, the next reconnect starts the backoff over.
  bool carried_manifest_ = false;
  bool ready_ = false;  // the current connection is established
  std::chrono::steady_clock::time_point last_byte_;      // of the current connection
  std::optional<std::chrono::steady_clock::time_point> last_manifest_;
  std::chrono::milliseconds longest_interval_{0};        // between manifests, over all connections
  bool stopped_ = false;
};

}  // namespace ambi_verifier
