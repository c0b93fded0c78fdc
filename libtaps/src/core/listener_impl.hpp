// A Listener: binds the local endpoint for every stack its properties allow and turns
// accepted TCP connections (with TLS: once their handshake is done), or new UDP remote
// endpoints, into Connections.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "security/tls_context.hpp"
#include "taps/framer.hpp"
#include "taps/listener.hpp"
#include "taps/properties.hpp"

namespace taps::detail {

class ConnectionGroup;
class UdpDemux;
class DatagramServer;
class StreamSession;
class QuicTlsContext;
class TlsHandshake;
class TlsSniff;
class Transport;

struct ListenSpec {
  // Best first. Stream stacks share one TCP port (tls/tcp and tcp: told apart by the
  // first bytes, see tls_sniff.hpp), datagram stacks take the same port number on UDP.
  std::vector<Stack> stacks;
  std::optional<asio::ip::address> address;  // none: the wildcard address
  std::optional<std::string> host_name;      // resolved (passive) before binding
  std::uint16_t port = 0;
  int family = 0;
  std::vector<FramerSpec> framers;  // fresh instances for every Connection
  std::shared_ptr<TlsContext> tls;  // tls/tcp: every accepted connection's session comes from it
  std::shared_ptr<QuicTlsContext> quic;  // quic: every accepted connection's session comes from it
  TransportProperties properties;   // what each accepted Connection starts with
};

class ListenerImpl : public std::enable_shared_from_this<ListenerImpl> {
 public:
  ListenerImpl(asio::io_context& io, ListenerHandlers handlers, ListenSpec spec);

  void start();
  void stop();
  void set_new_connection_limit(std::size_t n);

 private:
  void resolve_host_name();
  void bind_all(const std::vector<asio::ip::address>& addresses);
  std::optional<Error> bind_address(const asio::ip::address& address, std::uint16_t& port);
  std::optional<Error> bind_tcp(const asio::ip::address& address, std::uint16_t& port);
  std::optional<Error> bind_udp(const asio::ip::address& address, std::uint16_t port);
  // A UDP socket bound to ADDRESS:PORT (as bind_udp and bind_quic need it).
  std::optional<Error> open_udp(asio::ip::udp::socket& socket, const asio::ip::address& address, std::uint16_t port);
  void close_all();
  bool serves(Stack stack) const;
  std::optional<Error> bind_quic(const asio::ip::address& address, std::uint16_t& port);
  void accept(asio::ip::tcp::acceptor& acceptor);
  void accepted(asio::ip::tcp::socket socket);
  void handshake(asio::ip::tcp::socket socket);
  void resume_accepting();
  bool accepting_paused() const;
  void back_off(asio::ip::tcp::acceptor& acceptor, const std::error_code& ec);
  void cancel_handshakes();
  bool take_connection_slot();
  void new_connection(std::shared_ptr<Transport> transport, Stack stack);
  std::shared_ptr<ConnectionGroup> group_for(const Transport& transport);
  void fail(Error error);

  asio::io_context& io_;
  ListenerHandlers handlers_;
  ListenSpec spec_;
  std::vector<std::uint64_t> queries_;  // of the local host name, to the NameResolver
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::shared_ptr<UdpDemux>> demuxes_;
  std::vector<std::shared_ptr<DatagramServer>> quic_servers_;
    // The group of each QUIC connection, for as long as the connection exists: every
  // stream of one connection is a Connection of one group (RFC 9622 section 7.4).
  std::map<std::weak_ptr<StreamSession>, std::shared_ptr<ConnectionGroup>, std::owner_less<>> groups_;
  std::vector<ListeningEndpoint> local_endpoints_;
  std::optional<std::size_t> limit_;
  std::vector<asio::ip::tcp::acceptor*> paused_;  // acceptors waiting for a raised limit
  std::vector<std::shared_ptr<TlsHandshake>> handshakes_;  // connections not received yet
  std::vector<std::shared_ptr<TlsSniff>> sniffs_;          // tls/tcp or tcp? not known yet
  // accept() failing for want of descriptors or memory: retry later, not in a busy loop.
  asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_{0};
  std::vector<asio::ip::tcp::acceptor*> backing_off_;
  std::uint64_t accept_failures_ = 0;
  bool stopped_ = false;
};

}  // namespace taps::detail
