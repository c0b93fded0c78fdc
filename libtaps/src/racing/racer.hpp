// Establishment by racing (RFC 9623 section 4.3, RFC 8305): resolve every remote
// endpoint, order the candidates, start one attempt after another with the
// Connection Attempt Delay between them (or at once when one fails); the first
// attempt that is fully established wins and every other is cancelled. For tls/tcp an
// attempt is the TCP connect and then the TLS handshake (RFC 9623 section 4.3): a TCP
// connection alone wins nothing.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "racing/candidates.hpp"
#include "security/tls_context.hpp"
#include "security/tls_handshake.hpp"
#include "taps/connection.hpp"
#include "taps/endpoint.hpp"

namespace taps::detail {

struct RaceSpec {
  Stack stack;
  std::vector<RemoteEndpoint> remotes;
  std::optional<asio::ip::address> local_address;  // -s: bind before connecting
  std::uint16_t local_port = 0;
  int family = 0;  // 4, 6 or 0
  std::chrono::milliseconds attempt_delay{250};
  std::optional<std::chrono::milliseconds> timeout;
  std::shared_ptr<TlsContext> tls;  // tls/tcp: every attempt's session comes from it
};

struct RaceCallbacks {
  std::function<void(RaceEvent)> event;
  std::function<void(asio::ip::tcp::socket)> tcp_won;
  std::function<void(asio::ip::udp::socket)> udp_won;
  std::function<void(asio::ip::tcp::socket, std::unique_ptr<TlsSession>)> tls_won;
  std::function<void(Error)> failed;
};

class Racer : public std::enable_shared_from_this<Racer> {
 public:
  Racer(asio::io_context& io, RaceSpec spec, RaceCallbacks callbacks);

  void start();
  // Stops every attempt; no callback follows.
  void cancel();
  // The winner failed after all (its framer refused it): go on with the candidates
  // not tried yet, or report every failure.
  void resume(const Error& why);

 private:
  struct Attempt {
    int id;
    Candidate candidate;
    asio::ip::tcp::socket socket;
    bool running = true;
    std::shared_ptr<TlsHandshake> handshake = nullptr;  // tls/tcp: owns the socket once TCP is up
  };

  void resolve(std::size_t index);
  void resolved();
  void start_next();
  void start_tcp(Attempt& attempt);
  void connect_udp(const Candidate& c, int id);
  void attempt_failed(int id, const std::string& why);
  void tcp_connected(int id);
  void start_tls(Attempt& attempt);
  void won(int id);
  void close(Attempt& attempt);
  void fail(Error error);
  void fail_all();
  void arm_deadline();
  void emit(RaceEvent::Kind kind, int id, const Candidate* c, std::string detail = {}, std::string local = {});
  void stop_timers();

  asio::io_context& io_;
  RaceSpec spec_;
  RaceCallbacks callbacks_;
  std::vector<std::vector<Candidate>> resolved_;  // per remote endpoint, in given order
  std::vector<std::string> resolve_errors_;
  std::vector<std::unique_ptr<asio::ip::tcp::resolver>> resolvers_;
  std::size_t pending_resolutions_ = 0;
  std::vector<Candidate> candidates_;
  std::size_t next_ = 0;
  std::vector<std::unique_ptr<Attempt>> attempts_;
  std::vector<std::string> failures_;
  asio::steady_timer stagger_;
  asio::steady_timer deadline_;
  std::chrono::steady_clock::time_point deadline_at_;
  int winner_ = 0;
  bool done_ = false;
};

}  // namespace taps::detail
