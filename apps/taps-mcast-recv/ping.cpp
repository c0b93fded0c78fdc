#include "taps-mcast-recv/ping.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <random>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "common/group_targets.hpp"
#include "taps/timer.hpp"
#include "common/number_text.hpp"
#include "common/ping_message.hpp"
#include "common/stop_signals.hpp"
#include "taps-mcast-recv/hints.hpp"
#include "taps-mcast-recv/ping_tally.hpp"
#include "taps/context.hpp"
#include "taps/endpoint.hpp"

namespace taps_mcast_recv {
namespace {

using namespace taps::apps;
using Clock = PingTally::Clock;

// How long a probe waits for its answers before its line is printed without them.
constexpr auto reply_wait = std::chrono::seconds(2);
// receive() calls kept open on each Connection.
constexpr int receive_window = 8;
// Senders to the group followed at once: the responder is one; others on a shared
// group are noise, and must not grow the state.
constexpr std::size_t max_answerers = 16;

std::optional<std::uint16_t> port_of(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return parse_port(std::string_view(endpoint).substr(colon + 1));
}

std::string rtt_text(const std::optional<double>& ms) { return ms ? fmt::format("{:.3f} ms", *ms) : "-"; }

class Pinger {
 public:
  Pinger(const Options& o, const EventLog& log)
      : o_(o), t_(*o.ping), log_(log),
        stop_signals_(ctx_, [this](int) { finish(std::nullopt); },
                      [this](int signo) {
                        exit_code_ = 128 + signo;
                        ctx_.stop();
                      }),
        probe_timer_(ctx_), conclude_timer_(ctx_), duration_timer_(ctx_),
        out_(std::make_shared<FdWriter>(ctx_, ::dup(STDOUT_FILENO))), tally_(reply_wait),
        nonce_(std::random_device{}()) {}

  int run() {
    out_->on_error = [this](std::error_code ec) {
      log_.error(fmt::format("cannot write output: {}", ec.message()));
      finish(exit_connection);
    };
    if (!ask()) return *exit_code_;
    ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  std::string where() const { return fmt::format("{}@{}", t_.source, t_.group); }
  std::string responder() const { return taps::format_address_port(t_.source, t_.port); }

  // The unicast flow to the responder. Its local port is where the multicast answers
  // come (as ssmping does), so the group is joined once the flow is ready.
  bool ask() {
    taps::Preconnection p;
    taps::RemoteEndpoint remote;
    remote.with_ip_address(t_.source).with_port(t_.port);
    p.remote_endpoints() = {remote};
    p.transport_properties().set("reliability", taps::Preference::prohibit);
    taps::ConnectionHandlers h;
    h.ready = [this] {
      auto port = port_of(unicast_.local_endpoint());
      if (!port) {
        log_.error(fmt::format("no local port for the flow to {}", responder()));
        finish(exit_establishment);
        return;
      }
      for (int i = 0; i < receive_window; ++i) unicast_.receive();
      join(*port);
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.error(fmt::format("cannot reach the responder {}: {}", responder(), e.message()));
      finish(exit_code_for_establishment(e.code));
    };
    h.received = [this](taps::Message m, taps::MessageContext) {
      on_unicast(m);
      if (!finishing_) unicast_.receive();
    };
    // An ICMP port unreachable: the host is there, nobody answers on the port.
    h.soft_error = [this](const taps::Error& e) {
      if (refused_++ == 0) log_.emit("refused", {{"responder", responder()}, {"error", e.message()}});
    };
    h.connection_error = [this](const taps::Error& e) {
      log_.error(fmt::format("the flow to {} failed: {}", responder(), e.message()));
      finish(exit_connection);
    };
    auto c = p.initiate(ctx_, std::move(h));
    if (!c) {
      log_.error(c.error().message());
      exit_code_ = exit_code_for_establishment(c.error().code);
      return false;
    }
    unicast_ = *c;
    return true;
  }

  void join(std::uint16_t port) {
    taps::Preconnection p;
    taps::LocalEndpoint local;
    local.with_port(port);
    if (t_.ssm) {
      local.with_single_source_multicast_group(t_.group, t_.source);
    } else {
      local.with_any_source_multicast_group(t_.group);
    }
    if (!o_.interface_name.empty()) local.with_interface(o_.interface_name);
    p.local_endpoints() = {local};
    p.transport_properties().set("reliability", taps::Preference::prohibit);
    p.transport_properties().set_direction(taps::Direction::unidirectional_receive);
    taps::ListenerHandlers h;
    h.joined = [this](const taps::MulticastJoin& j) {
      interface_name_ = j.interface_name;
      EventFields f = {{"group", j.group}};
      if (!j.source.empty()) f.emplace_back("source", j.source);
      f.emplace_back("interface", j.interface_name);
      log_.emit("join", f);
      start_probing();
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.error(e.message());
      finish(exit_code_for_establishment(e.code));
    };
    h.connection_received = [this](taps::Connection c) {
      if (answerers_.size() >= max_answerers) {
        c.close();
        return taps::ConnectionHandlers{};
      }
      taps::ConnectionHandlers ch;
      ch.received = [this, c](taps::Message m, taps::MessageContext ctx) mutable {
        on_multicast(m, ctx.received_hop_limit);
        if (!finishing_) c.receive();
      };
      for (int i = 0; i < receive_window; ++i) c.receive();
      answerers_.push_back(c);
      return ch;
    };
    auto listener = p.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(listener.error().message());
      finish(exit_code_for_establishment(listener.error().code));
      return;
    }
    listener_ = *listener;
  }

  void start_probing() {
    if (probing_ || finishing_) return;
    probing_ = true;
    if (o_.duration) {
      duration_timer_.start(*o_.duration, [this] { finish(std::nullopt); });
    }
    probe();
  }

  void probe() {
    if (finishing_) return;
    auto now = Clock::now();
    taps::apps::PingMessage request;
    request.seq = tally_.send(now);
    request.nonce = nonce_;
    request.client_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    request.source = t_.source;
    request.group = t_.group;
    unicast_.send(taps::Message(encode(request)));
    ++sent_;
    schedule_conclusion();
    if (o_.count && sent_ >= *o_.count) return;
    probe_timer_.start_at(now + o_.interval.value_or(std::chrono::seconds(1)), [this] { probe(); });
  }

  std::optional<PingMessage> answer_of(const taps::Message& m) const {
    auto a = decode_ping_message({m.data(), m.size()});
    if (!a || a->nonce != nonce_ || a->group != t_.group) return std::nullopt;
    return a;
  }

  void on_unicast(const taps::Message& m) {
    auto a = answer_of(m);
    if (!a || finishing_) return;
    if (a->kind == PingMessage::Kind::refusal) {
      log_.error(fmt::format("the responder {} refused the probe: {}", responder(), a->detail));
      finish(exit_establishment);
      return;
    }
    if (a->kind != PingMessage::Kind::unicast_answer) return;
    // The responder could not send its multicast answer: that, not the network, is why
    // none comes. Said once.
    if (!a->detail.empty() && responder_problem_.empty()) {
      responder_problem_ = a->detail;
      log_.warning(fmt::format("the responder {} says: {}", responder(), a->detail));
    }
    tally_.on_unicast(a->seq, Clock::now());
    print_done(tally_.conclude(Clock::now()));
  }

  void on_multicast(const taps::Message& m, int hop_limit) {
    auto a = answer_of(m);
    if (!a || finishing_ || a->kind != PingMessage::Kind::multicast_answer) return;
    tally_.on_multicast(a->seq, Clock::now(), a->hop_limit, hop_limit);
    print_done(tally_.conclude(Clock::now()));
  }

  void schedule_conclusion() {
    auto deadline = tally_.next_deadline();
    if (!deadline) return;
    conclude_timer_.start_at(*deadline, [this] {
      if (finishing_) return;
      print_done(tally_.conclude(Clock::now()));
    });
  }

  // One line per probe on stdout (there is no payload in this mode), and a `ping` event.
  void print_done(const std::vector<ProbeResult>& done) {
    for (const auto& r : done) {
      auto hops = r.hops();
      std::string line = fmt::format("{} seq={} unicast {} multicast {}", where(), r.seq, rtt_text(r.unicast_rtt_ms),
                                     rtt_text(r.multicast_rtt_ms));
      if (hops) line += fmt::format(" hops {} (ttl {} of {})", *hops, r.hop_limit_received, r.hop_limit_sent);
      out_->write_line(taps::Message(line));
      EventFields f = {{"seq", static_cast<std::int64_t>(r.seq)}, {"unicast", r.unicast_rtt_ms.has_value()},
                       {"multicast", r.multicast_rtt_ms.has_value()}};
      if (r.unicast_rtt_ms) f.emplace_back("unicast_rtt_ms", *r.unicast_rtt_ms);
      if (r.multicast_rtt_ms) f.emplace_back("multicast_rtt_ms", *r.multicast_rtt_ms);
      if (hops) {
        f.emplace_back("hops", static_cast<std::int64_t>(*hops));
        f.emplace_back("ttl", static_cast<std::int64_t>(r.hop_limit_received));
      }
      log_.emit("ping", f);
    }
    if (finishing_) return;
    if (o_.count && sent_ >= *o_.count && tally_.open() == 0) {
      finish(std::nullopt);
    } else {
      schedule_conclusion();
    }
  }

  void report() {
    const auto& s = tally_.summary();
    auto figures = [&](const char* name, const RttFigures& f) {
      auto loss = s.probes ? 100.0 * static_cast<double>(s.probes - f.answered) / static_cast<double>(s.probes) : 0.0;
      std::string text = fmt::format("{} {}/{} answered ({:.0f}% loss)", name, f.answered, s.probes, loss);
      if (f.answered) text += fmt::format(", rtt min/avg/max {:.3f}/{:.3f}/{:.3f} ms", f.min_ms, f.avg_ms, f.max_ms);
      return text;
    };
    std::string line = fmt::format("{} ping: {}; {}", where(), figures("unicast", s.unicast), figures("multicast", s.multicast));
    if (s.hops) line += fmt::format("; hops {}", *s.hops);
    out_->write_line(taps::Message(line));
    EventFields f = {{"source", t_.source},
                     {"group", t_.group},
                     {"probes", static_cast<std::int64_t>(s.probes)},
                     {"unicast_answered", static_cast<std::int64_t>(s.unicast.answered)},
                     {"multicast_answered", static_cast<std::int64_t>(s.multicast.answered)}};
    if (s.unicast.answered) f.emplace_back("unicast_rtt_avg_ms", s.unicast.avg_ms);
    if (s.multicast.answered) f.emplace_back("multicast_rtt_avg_ms", s.multicast.avg_ms);
    if (s.hops) f.emplace_back("hops", static_cast<std::int64_t>(*s.hops));
    log_.emit("ping_summary", f);
    switch (tally_.verdict()) {
      case PingVerdict::multicast_answered:
        break;
      case PingVerdict::unicast_only: {
        if (!responder_problem_.empty()) {
          log_.error(fmt::format("multicast did not arrive: the responder {} could not send it ({})", responder(),
                                 responder_problem_));
          break;
        }
        // The responder is there and answers: what is missing is the multicast path.
        log_.error(fmt::format("multicast did not arrive: {} answered {} of {} probes by unicast, but none of its "
                               "multicast answers to {} came; things to check:",
                               t_.source, s.unicast.answered, s.probes, t_.ssm ? "(" + t_.source + ", " + t_.group + ")"
                                                                               : "(*, " + t_.group + ")"));
        std::vector<std::string> sources;
        if (t_.ssm) sources.push_back(t_.source);
        for (const auto& hint : silence_hints(t_.group, sources, interface_name_)) {
          log_.error("  hint: " + hint);
          log_.emit("hint", {{"group", t_.group}, {"hint", hint}});
        }
        break;
      }
      case PingVerdict::no_answer:
        log_.error(refused_ ? fmt::format("no responder at {}: it refused every probe (ICMP port unreachable); start "
                                          "one there: taps-mcast-send --responder",
                                          responder())
                            : fmt::format("no answer from {} to {} probes: is taps-mcast-send --responder running "
                                          "there, and is UDP port {} open?",
                                          responder(), s.probes, t_.port));
        break;
    }
  }

  // `code`: an error that ends the probe; none for the normal end, whose exit code says
  // what the answers were.
  void finish(std::optional<int> code) {
    if (finishing_) return;
    finishing_ = true;
    stop_signals_.ending();
    probe_timer_.cancel();
    conclude_timer_.cancel();
    duration_timer_.cancel();
    if (!code) {
      print_done(tally_.conclude(Clock::now(), true));
      report();
      switch (tally_.verdict()) {
        case PingVerdict::multicast_answered: code = exit_ok; break;
        case PingVerdict::unicast_only: code = exit_no_multicast; break;
        case PingVerdict::no_answer: code = exit_timeout; break;
      }
    }
    exit_code_ = code;
    for (auto& c : answerers_) c.close();
    if (listener_) listener_.stop();
    if (unicast_) unicast_.close();
    out_->on_drained = [this] { ctx_.stop(); };
    out_->close_when_drained();
  }

  const Options& o_;
  const PingTarget& t_;
  const EventLog& log_;
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::Timer probe_timer_, conclude_timer_, duration_timer_;
  std::shared_ptr<FdWriter> out_;
  PingTally tally_;
  std::uint32_t nonce_;
  taps::Connection unicast_;
  taps::Listener listener_;
  std::vector<taps::Connection> answerers_;
  std::string interface_name_;
  std::string responder_problem_;
  std::uint64_t sent_ = 0;
  std::uint64_t refused_ = 0;
  bool probing_ = false;
  bool finishing_ = false;
  std::optional<int> exit_code_;
};

}  // namespace

int run_ping(const Options& o, EventLog& log) {
  Pinger pinger(o, log);
  return pinger.run();
}

}  // namespace taps_mcast_recv
