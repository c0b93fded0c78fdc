// One TCP port serving both tls/tcp and plain tcp (a Listener whose security is
// opportunistic): an accepted connection is TLS when its first byte opens a TLS
// handshake record. A client that speaks TLS sends its ClientHello at once; a plain
// client may wait for the server to speak first, so silence past a grace period means
// plain TCP.
//
// One port, not two: the initiating side of opportunistic security races tls/tcp and
// then plain tcp to the same remote endpoint, so a Listener that put plain TCP on
// another port could never be reached by the fall-back.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace taps::detail {

// Long enough for a ClientHello whose first segment was lost (TCP's minimum RTO is
// 200 ms), short enough for a plain client waiting for a banner.
inline constexpr std::chrono::milliseconds plain_client_grace{1000};

class TlsSniff : public std::enable_shared_from_this<TlsSniff> {
 public:
  // `tls`: the first byte is a TLS handshake record's (22); false also when the peer
  // closed or stayed silent: such a connection is served as plain TCP.
  using Done = std::function<void(asio::ip::tcp::socket socket, bool tls)>;

  explicit TlsSniff(asio::ip::tcp::socket socket);
  void start(Done done, std::chrono::milliseconds grace = plain_client_grace);
  // Closes the socket; `done` is not called.
  void cancel();

 private:
  void finish(bool tls);

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  Done done_;
};

}  // namespace taps::detail
