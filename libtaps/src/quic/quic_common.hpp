// What the QUIC files share: our parameters of the protocol and small helpers.
#pragma once

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2.h>
#include <sys/socket.h>

#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace taps::detail::quic {

// Our connection IDs are this long, so that the server can find them in short headers.
constexpr std::size_t cid_length = 18;
// Flow control: what a stream and the connection may have in flight toward us. ngtcp2
// widens the windows up to the maxima as the application keeps up (auto-tuning). With
// 1 MiB at the start a 64 MiB download on a loaded machine ran 2.5x slower, blocked on
// credit (ASan build, load 9-12: 13.5 s against 5.5 s).
constexpr std::uint64_t stream_window = 8 * 1024 * 1024;
constexpr std::uint64_t connection_window = 16 * 1024 * 1024;
constexpr std::uint64_t max_stream_window = 16 * 1024 * 1024;
constexpr std::uint64_t max_connection_window = 32 * 1024 * 1024;
// What a stream pulls from its Connection's queue ahead of ngtcp2: enough to fill the
// congestion window, bounded per stream.
constexpr std::uint64_t max_held_per_stream = 8 * 1024 * 1024;
constexpr std::uint64_t max_bidi_streams = 100;
constexpr std::uint64_t max_uni_streams = 100;
constexpr std::chrono::seconds idle_timeout{30};
constexpr std::chrono::seconds handshake_timeout{10};
// After the last stream is done, how long its final acknowledgements may take before
// CONNECTION_CLOSE goes anyway.
constexpr std::chrono::seconds close_linger{1};
// Application error code of an aborted stream (RESET_STREAM, STOP_SENDING) and of a
// connection closed by close(); HTTP/3 peers read 0x100 as H3_NO_ERROR, others as code 0.
constexpr std::uint64_t abort_error_code = 0x10c;
constexpr std::uint64_t no_error_code = 0;
constexpr std::size_t max_packets_per_read = 64;

inline ngtcp2_tstamp now_ns() {
  return static_cast<ngtcp2_tstamp>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

inline socklen_t to_sockaddr(const asio::ip::udp::endpoint& e, sockaddr_storage& out) {
  std::memcpy(&out, e.data(), e.size());
  return static_cast<socklen_t>(e.size());
}

inline bool random_bytes(std::uint8_t* data, std::size_t n) { return gnutls_rnd(GNUTLS_RND_RANDOM, data, n) == 0; }

}  // namespace taps::detail::quic
