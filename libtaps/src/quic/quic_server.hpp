// The socket of a QUIC Listener: one UDP socket per listening address, shared by every
// QUIC connection it accepted. Datagrams are routed by their destination connection ID
// (RFC 9000 section 5.2), not by the sender's address, so a client that changes address
// keeps its connection; a client Initial with an unknown ID makes a new connection.
// Every stream a peer opens is handed to the Listener as a Transport.
#pragma once

#include <asio/ip/udp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "transport/protocol.hpp"

namespace taps::detail {

class QuicConnection;
class QuicTlsContext;
class Transport;

class QuicServer : public DatagramServer, public std::enable_shared_from_this<QuicServer> {
 public:
  QuicServer(asio::ip::udp::socket socket, std::shared_ptr<QuicTlsContext> tls, Events events);

  void start() override;
  // No new connections; those accepted close once no stream of theirs is in use.
  void stop_accepting() override;
  std::string local_endpoint() const override;

 private:
  void read();
  void route(std::size_t n, const asio::ip::udp::endpoint& from, std::vector<std::shared_ptr<QuicConnection>>& touched);
  void add(const std::shared_ptr<QuicConnection>& connection);

  std::shared_ptr<asio::ip::udp::socket> socket_;
  asio::ip::udp::endpoint local_;
  std::shared_ptr<QuicTlsContext> tls_;
  Events events_;
  // Connection ID bytes -> its connection; each connection is under each of its IDs
  // (and the client's first destination ID, which its Initial packets still carry).
  std::map<std::string, std::shared_ptr<QuicConnection>> by_id_;
  std::vector<std::uint8_t> buffer_;
  bool accepting_ = true;
  bool reading_ = false;
};

// The quic entry of the registry. Needs AttemptOptions::quic.
std::shared_ptr<DatagramServer> serve_quic(asio::ip::udp::socket socket, const AttemptOptions& options,
                                           DatagramServer::Events events);

}  // namespace taps::detail
