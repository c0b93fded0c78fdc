// One QUIC connection (RFC 9000) over ngtcp2: the connection group of RFC 9622 section
// 7.4, whose streams are the Connections (DESIGN.md section 10). It owns the ngtcp2
// connection and its GnuTLS session, the streams' buffers and the one timer ngtcp2's
// deadlines run on; it is driven from the one event loop, no thread: datagrams and the
// current time go in, packets and the next deadline come out.
//
// A client connection owns its connected UDP socket and reads it; a server connection
// shares its Listener's socket (quic_server.hpp routes datagrams to it by connection ID).
// Each stream reaches core through a QuicStreamTransport; core's connection group drives
// the whole connection through StreamSession (open_stream is what Connection::clone()
// maps to, close_when_done CloseGroup, abort AbortGroup).
//
// Files: quic_connection_setup.cpp (both roles' setup), quic_callbacks.cpp (ngtcp2's
// callbacks), quic_connection.cpp (the data path and the end).
//
//   handshaking --handshake done--> open --last stream done (client; or close_when_done)--> closing
//        |                           |                                      |
//        +--- error, idle, abort(), peer's CONNECTION_CLOSE -------------------------> ended
#pragma once

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "quic/stream_send_buffer.hpp"
#include "security/quic_tls_context.hpp"
#include "transport/stream_session.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

class QuicStreamTransport;

// Socket buffers sized for QUIC bursts (client and server sockets alike).
void tune_quic_socket(asio::ip::udp::socket& socket);

struct Ngtcp2ConnDeleter {
  void operator()(ngtcp2_conn* c) const noexcept { ngtcp2_conn_del(c); }
};

class QuicConnection final : public StreamSession, public std::enable_shared_from_this<QuicConnection> {
 public:
  enum class Role { client, server };
  struct Events {
    // Client: the handshake is done (error empty) or failed (why). Called once.
    std::function<void(std::string error)> handshake_done;
    // The peer opened a stream (a Listener's connection_received, or a client's group):
    // true when taken, false to have it read and thrown away. Unset: thrown away.
    std::function<bool(std::shared_ptr<Transport>)> peer_stream;
    // The connection has ended; no call follows (the server forgets its IDs).
    std::function<void()> ended;
    // Server: a connection ID of ours was added or retired (for routing).
    std::function<void(const ngtcp2_cid&, bool added)> connection_id;
  };

  // A client connection on a connected socket; the handshake starts at once. `verify_name`
  // is the name (or address) the server's certificate must carry; `sni` may be empty.
  static Result<std::shared_ptr<QuicConnection>> connect(asio::ip::udp::socket socket,
                                                         std::shared_ptr<QuicTlsContext> tls, std::string verify_name,
                                                         std::string sni, Events events);
  // A server connection for the client Initial `packet` that arrived from `remote`.
  static Result<std::shared_ptr<QuicConnection>> accept(std::shared_ptr<asio::ip::udp::socket> socket,
                                                        const asio::ip::udp::endpoint& local,
                                                        const asio::ip::udp::endpoint& remote,
                                                        std::span<const std::uint8_t> packet,
                                                        std::shared_ptr<QuicTlsContext> tls, Events events);

  QuicConnection(const QuicConnection&) = delete;
  QuicConnection& operator=(const QuicConnection&) = delete;
  ~QuicConnection() override;

  // Server: a datagram routed here. Packets are processed at once; what they make us
  // send goes out at flush().
  void receive(std::span<const std::uint8_t> packet, const asio::ip::udp::endpoint& remote);
  // Sends what is due and re-arms the timer.
  void flush();

  // StreamSession (stream_session.hpp).
  Result<std::shared_ptr<Transport>> open_stream(bool bidirectional) override;
  void on_peer_stream(std::function<bool(std::shared_ptr<Transport>)> handler) override;
  void close_when_done() override;
  void abort() override;
  // Stops every attempt of a client still handshaking; no event follows.
  void cancel();

  std::optional<TlsInfo> tls_info() const;
  TransportStatistics statistics() const;
  const std::string& remote_text() const noexcept { return remote_text_; }
  const std::string& local_text() const noexcept { return local_text_; }
  std::vector<ngtcp2_cid> connection_ids() const;

  // For QuicStreamTransport.
  void stream_started(std::int64_t id);
  void stream_wants_write(std::int64_t id);
  void stream_resumed(std::int64_t id);
  void stream_shutdown(std::int64_t id, bool graceful);

  QuicConnection(Role role, std::shared_ptr<asio::ip::udp::socket> socket, std::shared_ptr<QuicTlsContext> tls,
                 Events events);

 private:
  struct Stream {
    std::int64_t id;
    std::weak_ptr<QuicStreamTransport> transport;
    StreamSendBuffer send;
    std::deque<Message> received;  // arrived, not yet taken by the Connection
    bool peer_fin = false;         // the FIN arrived (it follows `received`)
    bool end_reported = false;
    bool final_reported = false;   // on_final_sent: our FIN and all before it acknowledged
    bool blocked = false;          // ngtcp2 says flow control blocks it
    bool detached = false;         // the Connection shut it down
    bool closed = false;           // ngtcp2 closed it
    bool unwanted = false;         // opened by the peer, nobody took it: read and thrown away
    std::optional<Error> reset;    // the peer reset it or stopped our sending
    std::size_t lost = 0;          // packets with its data declared lost, as last seen
    std::uint64_t credit = 0;      // bytes delivered whose flow-control credit is not returned yet
  };

  // ngtcp2 callbacks (static trampolines to these).
  static int on_handshake_completed(ngtcp2_conn*, void* user);
  static int on_recv_stream_data(ngtcp2_conn*, std::uint32_t flags, std::int64_t id, std::uint64_t offset,
                                 const std::uint8_t* data, std::size_t n, void* user, void* stream_user);
  static int on_acked_stream_data(ngtcp2_conn*, std::int64_t id, std::uint64_t offset, std::uint64_t n, void* user,
                                  void* stream_user);
  static int on_stream_open(ngtcp2_conn*, std::int64_t id, void* user);
  static int on_stream_close(ngtcp2_conn*, std::uint32_t flags, std::int64_t id, std::uint64_t code, void* user,
                             void* stream_user);
  static int on_stream_reset(ngtcp2_conn*, std::int64_t id, std::uint64_t size, std::uint64_t code, void* user,
                             void* stream_user);
  static int on_stream_stop_sending(ngtcp2_conn*, std::int64_t id, std::uint64_t code, void* user, void* stream_user);
  static int on_extend_max_stream_data(ngtcp2_conn*, std::int64_t id, std::uint64_t max, void* user, void* stream_user);
  static void on_rand(std::uint8_t* dest, std::size_t n, const ngtcp2_rand_ctx*);
  static int on_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token, std::size_t n, void* user);
  static int on_remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid, void* user);
  static ngtcp2_conn* conn_of(ngtcp2_crypto_conn_ref* ref);
  static int verify_certificate(gnutls_session_t session);
  static ngtcp2_callbacks callbacks(Role role);

  using TimePoint = std::chrono::steady_clock::time_point;
  // A sent report, made once the write loop is over.
  struct Sent {
    std::shared_ptr<TransportSink> sink;
    Outgoing out;
  };

  std::optional<Error> start_tls(const std::string& sni);
  void read_socket();
  void process(std::span<const std::uint8_t> packet, const asio::ip::udp::endpoint& remote);
  void notify();
  void deliver(Stream& s);
  bool pull(Stream& s);
  Stream* next_writable();
  void account(Stream& s, std::uint64_t n, bool fin);
  void report_sent();
  bool write_packets();
  bool send_packet(const std::uint8_t* data, std::size_t n);
  void wait_writable();
  void send_close(std::uint64_t code);
  void write_close(const ngtcp2_connection_close_error& ccerr);
  void arm_timer();
  void on_timer();
  Stream* find(std::int64_t id);
  Stream& add_stream(std::int64_t id);
  std::shared_ptr<QuicStreamTransport> make_transport(Stream& s);
  void maybe_close();
  bool ready_to_close() const;
  void fail(int liberr);
  void end(const std::optional<Error>& error);
  std::string handshake_error(int liberr) const;

  Role role_;
  std::shared_ptr<asio::ip::udp::socket> socket_;
  std::shared_ptr<QuicTlsContext> tls_;
  Events events_;
  ngtcp2_crypto_conn_ref conn_ref_{};
  GnutlsSessionPtr session_;
  std::unique_ptr<ngtcp2_conn, Ngtcp2ConnDeleter> conn_;
  sockaddr_storage local_addr_{}, remote_addr_{};
  socklen_t local_len_ = 0, remote_len_ = 0;
  asio::ip::udp::endpoint remote_;
  std::string remote_text_, local_text_;
  std::string verify_name_;
  std::string verify_error_;
  asio::steady_timer timer_;
  std::map<std::int64_t, Stream> streams_;
  std::vector<std::int64_t> opened_by_peer_;  // to announce after the packet
  std::vector<std::uint8_t> tx_;              // one packet
  std::vector<std::uint8_t> blocked_packet_;  // the socket was full: sent when writable
  std::vector<std::uint8_t> rx_;
  std::vector<Sent> sent_;
  std::int64_t next_stream_ = 0;  // round robin among streams with data
  TimePoint close_deadline_{};
  TimePoint timer_deadline_{};
  bool timer_armed_ = false;
  bool busy_ = false;   // in flush(): a Connection calling back asks for another round
  bool again_ = false;
  bool handshake_reported_ = false;
  bool handshake_completed_ = false;
  bool reading_ = false;
  bool waiting_writable_ = false;
  bool closing_ = false;  // CONNECTION_CLOSE once every stream is done
  bool close_when_done_ = false;  // a server closes too (CloseGroup), not only a client
  bool ended_ = false;
};

}  // namespace taps::detail
