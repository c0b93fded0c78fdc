// Establishment by racing (RFC 9623 section 4.3, RFC 8305): resolve every remote
// endpoint (A and AAAA apart), build the candidate tree, start one leaf after another
// as the RaceSchedule says (Resolution Delay, Connection Attempt Delay, at once after a
// failure); the first attempt that is fully established wins and every other is
// cancelled, its socket closed. Each attempt is started through the protocol registry
// (transport/protocol.hpp), which owns the sockets and handshakes; the racer only
// orchestrates, and hands the winner's Transport over.
#pragma once

#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/remote_resolution.hpp"
#include "racing/candidate_tree.hpp"
#include "racing/race_schedule.hpp"
#include "taps/connection.hpp"
#include "taps/endpoint.hpp"
#include "transport/protocol.hpp"

namespace taps::detail {

struct RaceSpec {
  std::vector<Stack> stacks;                      // equivalent stacks, best first
  std::vector<RemoteEndpoint> remotes;
  std::vector<std::string> paths;                 // from order_paths: "" = unbound
  std::map<std::string, Preference> interfaces;  // the "interface" property
  std::optional<asio::ip::address> local_address;  // -s: bind before connecting
  std::uint16_t local_port = 0;
  int family = 0;  // 4, 6 or 0
  int first_family_count = 1;
  RaceSchedule::Timers timers;
  AttemptOptions options;  // the TLS context every attempt uses
  // Rendezvous (RFC 9622 section 7.3): each attempt listens on the local endpoint and
  // connects from it (Protocol::rendezvous), instead of connecting.
  bool rendezvous = false;
};

// The leaves of the candidate tree of `spec` for these addresses (of every remote
// endpoint, each endpoint's IPv6 then IPv4 answers), in race order.
std::vector<Candidate> race_leaves(const RaceSpec& spec, const std::vector<RemoteAddress>& addresses);

struct RaceCallbacks {
  std::function<void(RaceEvent)> event;
  std::function<void(std::shared_ptr<Transport>)> won;
  std::function<void(Error)> failed;
};

class Racer : public std::enable_shared_from_this<Racer> {
 public:
  Racer(asio::io_context& io, RaceSpec spec, RaceCallbacks callbacks);
  ~Racer();
  Racer(const Racer&) = delete;
  Racer& operator=(const Racer&) = delete;

  void start();
  // Stops every attempt; no callback follows.
  void cancel();
  // The winner failed after all (its framer refused it): go on with the candidates
  // not tried yet, or report every failure.
  void resume(const Error& why);
  // The winner is ready for the application too (its framers are): only now is the
  // race's `ready` event true, so only now is it emitted.
  void confirm_ready();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Running {
    int id;
    Candidate candidate;
    std::shared_ptr<Attempt> attempt;
  };
  // The addresses of one remote endpoint, per family, in the resolver's order.
  struct Resolved {
    std::vector<RemoteAddress> v6, v4;
  };

  void answered(RemoteResolution::Answer answer);
  std::vector<Candidate> leaves() const;
  void step();
  void launch(const RaceSchedule::Start& start, TimePoint now);
  AttemptTarget target_for(const Candidate& c) const;
  void attempt_failed(int id, const std::string& why);
  void won(int id, std::shared_ptr<Transport> transport);
  void fail(Error error);
  void fail_all();
  void emit(RaceEvent::Kind kind, int id, const Candidate* c, std::string detail = {}, std::string local = {},
            TimePoint at = std::chrono::steady_clock::now());
  Running* find(int id);

  asio::io_context& io_;
  RaceSpec spec_;
  RaceCallbacks callbacks_;
  std::optional<RaceSchedule> schedule_;
  std::vector<Resolved> resolved_;  // per remote endpoint
  std::vector<std::string> resolve_errors_;
  std::shared_ptr<RemoteResolution> resolution_;
  std::vector<Running> attempts_;
  std::vector<std::string> failures_;
  asio::steady_timer timer_;
  int winner_ = 0;
  std::optional<Candidate> winner_candidate_;  // until confirm_ready() or resume()
  std::string winner_local_;
  bool done_ = false;  // won, failed or cancelled: no callback until resume()
};

}  // namespace taps::detail
