#include "taps-mcast-recv/run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <memory>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "common/group_targets.hpp"
#include "common/stop_signals.hpp"
#include "taps-mcast-recv/hints.hpp"
#include "taps-mcast-recv/ping.hpp"
#include "taps-mcast-recv/stats.hpp"
#include "taps/timer.hpp"

namespace taps_mcast_recv {
namespace {

using namespace taps::apps;

// receive() calls kept open per sender.
constexpr int receive_window = 32;
// At most this much output waits for stdout before receiving pauses.
constexpr std::size_t output_limit = 1 << 20;
constexpr std::size_t max_datagram = 65536;

EventFields join_fields(const taps::MulticastJoin& j) {
  EventFields f = {{"group", j.group}};
  if (!j.source.empty()) f.emplace_back("source", j.source);
  if (!j.excluded_sources.empty()) {
    std::string list;
    for (const auto& s : j.excluded_sources) list += (list.empty() ? "" : ",") + s;
    f.emplace_back("exclude", list);
  }
  f.emplace_back("interface", j.interface_name);
  return f;
}

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// "2026-12-03T10:00:01.250Z": the wall clock on statistics rows (--timestamps).
std::string wall_clock() {
  auto ns = realtime_ns();
  std::time_t seconds = ns / 1000000000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", text, ns / 1000000 % 1000);
}

class Receiver {
 public:
  Receiver(const Options& o, const EventLog& log)
      : o_(o), log_(log), stop_signals_(
            ctx_, [this](int signo) { finish(128 + signo); },
            [this](int signo) {
              exit_code_ = 128 + signo;
              ctx_.stop();
            }),
        duration_timer_(ctx_), interval_timer_(ctx_), silence_timer_(ctx_), idle_timer_(ctx_),
        out_(std::make_shared<FdWriter>(ctx_, ::dup(STDOUT_FILENO))) {}

  int run() {
    out_->on_drained = [this] { resume_all(); };
    out_->on_error = [this](std::error_code ec) {
      log_.error(fmt::format("cannot write output: {}", ec.message()));
      finish(exit_connection);
    };
    streams_.resize(o_.streams.size());
    for (std::size_t i = 0; i < o_.streams.size(); ++i) {
      if (!listen(i)) return *exit_code_;
    }
    ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  struct Sender {
    Sender(std::string name, std::string group, SeqFormat seq, Clock::time_point origin)
        : stats(std::move(name), std::move(group), seq, origin) {}
    taps::Connection connection;
    SenderStats stats;
    int receives_open = 0;  // receive() calls of `connection` not yet answered
    unsigned generation = 0;  // counts the Connections this sender has had
    int hop_limit = -1;       // TTL / hop limit of its last datagram on arrival
  };
  using SenderKey = std::pair<std::size_t, std::string>;  // stream, "ADDR:PORT"

  struct StreamState {
    taps::Listener listener;
    std::vector<taps::MulticastJoin> joins;
  };

  std::string where(std::size_t stream) const {
    return group_port_string(o_.streams[stream].group, o_.streams[stream].port);
  }

  bool listen(std::size_t index) {
    taps::ListenerHandlers h;
    h.listening = [this](const std::vector<taps::ListeningEndpoint>&) {
      if (++listening_ == streams_.size()) start_timers();
    };
    h.joined = [this, index](const taps::MulticastJoin& j) {
      streams_[index].joins.push_back(j);
      log_.emit("join", join_fields(j));
      if (streams_[index].joins.size() > 1 || warned_) return;
      const auto& st = o_.streams[index];
      for (const auto& warning : join_warnings(st.group, st.sources, j.interface_name)) {
        // One group's warning stands for the others of a range.
        warned_ = true;
        log_.warning(warning);
        log_.emit("hint", {{"group", where(index)}, {"hint", warning}});
      }
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.error(e.message());
      finish(exit_code_for_establishment(e.code));
    };
    h.soft_error = [this](const taps::Error& e) { log_.warning(e.message()); };
    h.connection_received = [this, index](taps::Connection c) { return on_connection(index, std::move(c)); };
    auto listener = o_.streams[index].preconnection.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(listener.error().message());
      exit_code_ = exit_code_for_establishment(listener.error().code);
      return false;
    }
    streams_[index].listener = *listener;
    return true;
  }

  void start_timers() {
    origin_ = Clock::now();
    if (o_.duration) {
      duration_timer_.start(*o_.duration, [this] {
        if (total_ == 0 && !hinted_) print_hints();
        bool enough = o_.count ? total_ >= *o_.count : total_ > 0;
        finish(enough ? exit_ok : exit_timeout);
      });
    }
    if (!o_.duration || *o_.duration > o_.hint_after) {
      silence_timer_.start(o_.hint_after, [this] {
        if (total_ == 0) print_hints();
      });
    }
    if (o_.interval) {
      interval_start_ = origin_;
      next_interval();
    }
    start_idle_checks();
  }

  // Each interval is reported, also those that passed while the loop was busy.
  void next_interval() {
    interval_timer_.start_at(interval_start_ + *o_.interval, [this] {
      auto end = interval_start_ + *o_.interval;
      report_interval(interval_start_, end);
      interval_start_ = end;
      next_interval();
    });
  }

  // A sender that went quiet is forgotten, so that the state for senders stays bounded
  // (a flood from many source ports, or senders that come and go over days).
  void start_idle_checks() {
    auto period = std::clamp<std::chrono::milliseconds>(o_.sender_idle / 2, std::chrono::milliseconds(100),
                                                        std::chrono::seconds(5));
    idle_timer_.start_periodic(period, [this] {
      auto now = Clock::now();
      for (auto it = senders_.begin(); it != senders_.end();) {
        auto& s = *it->second;
        if (now - s.stats.last_arrival() < o_.sender_idle) {
          ++it;
          continue;
        }
        auto fields = row_fields(s.stats.sender(), s.stats.group(), s.stats.total(), false);
        log_.emit("sender_idle", fields);
        s.connection.close();
        it = senders_.erase(it);
      }
    });
  }

  taps::ConnectionHandlers on_connection(std::size_t stream, taps::Connection c) {
    auto now = Clock::now();
    SenderKey key{stream, c.remote_endpoint()};
    auto it = senders_.find(key);
    if (it == senders_.end()) {
      if (senders_.size() >= o_.max_senders) {
        // Past the bound: the sender is refused, and its datagrams with it.
        if (refused_++ == 0) {
          log_.warning(fmt::format("more than {} senders: {} and later ones are not followed (--max-senders)",
                                   o_.max_senders, c.remote_endpoint()));
        }
        c.close();
        return {};
      }
      auto sender = std::make_shared<Sender>(c.remote_endpoint(), where(stream), o_.seq, origin_);
      it = senders_.emplace(key, std::move(sender)).first;
      auto t_first = std::chrono::duration<double, std::milli>(now - origin_).count();
      log_.emit("sender", {{"sender", c.remote_endpoint()}, {"group", where(stream)}, {"t_first_ms", t_first}}, now);
    }
    // A sender whose Connection failed (a framing error) comes back as a new one: it
    // is still the same sender, with the same counters.
    auto s = it->second;
    s->connection = c;
    s->receives_open = 0;
    auto generation = ++s->generation;
    std::weak_ptr<Sender> weak = s;
    taps::ConnectionHandlers h;
    h.received = [this, weak, generation](taps::Message m, taps::MessageContext ctx) {
      on_message(weak, generation, std::move(m), ctx);
    };
    h.received_partial = [this, weak, generation](taps::Message m, taps::MessageContext ctx, bool) {
      on_message(weak, generation, std::move(m), ctx);
    };
    h.connection_error = [this](const taps::Error& e) { log_.warning(e.message()); };
    request(*s);
    return h;
  }

  void on_message(const std::weak_ptr<Sender>& weak, unsigned generation, taps::Message m,
                  const taps::MessageContext& ctx) {
    auto s = weak.lock();
    if (!s || s->generation != generation) return;  // a datagram for a Connection since replaced
    --s->receives_open;
    if (exit_code_) return;
    if (ctx.received_hop_limit >= 0) note_hop_limit(*s, ctx.received_hop_limit);
    auto received_at_ns = ctx.received_at_ns;
    // The kernel's receive time, on the steady clock too: figures without the delay of
    // getting to the datagram (batched reads, a busy machine).
    auto now = Clock::now();
    auto wall = realtime_ns();
    if (received_at_ns > 0 && received_at_ns <= wall) {
      now -= std::chrono::nanoseconds(wall - received_at_ns);
      wall = received_at_ns;
    }
    if (!s->stats.on_datagram({m.data(), m.size()}, now, wall)) {
      request(*s);
      return;
    }
    ++total_;
    if (o_.output != Output::none) out_->write(render_payload(o_.output, std::move(m)));
    if (o_.count && total_ >= *o_.count) {
      finish(exit_ok);
      return;
    }
    request(*s);
  }

  // A datagram that arrives with TTL 1 got here, but one more router would drop it: a
  // receiver further away hears nothing, and the sender's hop limit is the cause.
  void note_hop_limit(Sender& s, int hop_limit) {
    bool first = s.hop_limit < 0;
    s.hop_limit = hop_limit;
    if (!first || hop_limit > 1) return;
    auto hint = fmt::format("datagrams from {} arrive with TTL/hop limit {}: a receiver behind one more router gets "
                            "none; the sender needs a higher hop limit (taps-mcast-send --ttl, iperf -T)",
                            s.stats.sender(), hop_limit);
    log_.emit("hint", {{"sender", s.stats.sender()}, {"hint", hint}, {"ttl", static_cast<std::int64_t>(hop_limit)}});
  }

  // Several receives open per sender, so that a burst of datagrams is delivered as a
  // burst (one turn of the event loop) rather than one loop turn each; none while
  // stdout is behind.
  void request(Sender& s) {
    while (s.receives_open < receive_window && !exit_code_ && out_->queued_bytes() < output_limit) {
      ++s.receives_open;
      s.connection.receive(1, max_datagram);
    }
  }

  void resume_all() {
    for (auto& [key, s] : senders_) request(*s);
  }

  void report_interval(Clock::time_point from, Clock::time_point to) {
    std::string stamp = o_.timestamps ? wall_clock() : std::string();
    for (auto& [key, s] : senders_) {
      auto f = s->stats.interval(from, to);
      if (log_.verbosity() == Verbosity::json) {
        auto fields = row_fields(s->stats.sender(), s->stats.group(), f, true);
        if (o_.timestamps) fields.emplace_back("time", stamp);
        log_.emit("interval", fields);
      } else {
        log_.error((o_.timestamps ? stamp + " " : std::string()) + row_text(s->stats.sender(), s->stats.group(), f, false));
      }
    }
  }

  void report_final() {
    bool json = log_.verbosity() == Verbosity::json;
    std::string stamp = o_.timestamps ? wall_clock() : std::string();
    for (auto& [key, s] : senders_) {
      auto f = s->stats.total();
      if (json) {
        auto fields = row_fields(s->stats.sender(), s->stats.group(), f, true);
        if (o_.timestamps) fields.emplace_back("time", stamp);
        if (o_.interval) log_.emit("summary", fields);
        auto stats = row_fields(s->stats.sender(), s->stats.group(), f, false);
        if (s->hop_limit >= 0) stats.emplace_back("ttl", static_cast<std::int64_t>(s->hop_limit));
        log_.emit("stats", stats);
      } else {
        log_.error((o_.timestamps ? stamp + " " : std::string()) + row_text(s->stats.sender(), s->stats.group(), f, true));
      }
    }
    // After a failed join the error said it all: "nothing arrived" would only add noise.
    if (!json && exit_code_ != exit_establishment) {
      for (std::size_t i = 0; i < streams_.size(); ++i) {
        bool heard = std::any_of(senders_.begin(), senders_.end(), [i](const auto& e) { return e.first.first == i; });
        if (!heard) log_.error(fmt::format("nothing arrived for {}", where(i)));
      }
    }
    // Measured, not guessed: what the kernel dropped at our full sockets.
    if (auto drops = own_socket_drops(); drops && *drops > 0) {
      auto hint = fmt::format("the kernel dropped {} datagrams at this receiver's full socket buffers "
                              "(SO_RXQ_OVFL, /proc/net/udp drops): raise --rcvbuf (and net.core.rmem_max), "
                              "or write less to stdout (-o none)",
                              *drops);
      log_.warning(hint);
      log_.emit("hint", {{"hint", hint}, {"socket_drops", static_cast<std::int64_t>(*drops)}});
    }
    if (refused_ > 0) {
      if (json) {
        log_.emit("refused", {{"senders", static_cast<std::int64_t>(refused_)},
                              {"max_senders", static_cast<std::int64_t>(o_.max_senders)}});
      } else {
        log_.error(fmt::format("{} senders refused past --max-senders {}", refused_, o_.max_senders));
      }
    }
  }

  void print_hints() {
    hinted_ = true;
    std::vector<std::size_t> silent;
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      if (!std::any_of(senders_.begin(), senders_.end(), [i](const auto& e) { return e.first.first == i; })) {
        silent.push_back(i);
      }
    }
    if (silent.empty()) return;
    // Hundreds of silent groups share their causes: the first one's hints say them.
    auto i = silent.front();
    const auto& st = o_.streams[i];
    const auto& joins = streams_[i].joins;
    std::string interface_name = joins.empty() ? std::string() : joins.front().interface_name;
    log_.error(fmt::format("nothing arrived for {}{}{}; things to check:", where(i),
                           interface_name.empty() ? "" : " on " + interface_name,
                           silent.size() > 1 ? fmt::format(" (nor for {} more groups)", silent.size() - 1) : ""));
    for (const auto& hint : silence_hints(st.group, st.sources, interface_name)) {
      log_.error("  hint: " + hint);
      log_.emit("hint", {{"group", where(i)}, {"hint", hint}});
    }
  }

  // Final statistics, Close on every sender, stop (which leaves the groups), then exit
  // once stdout has everything.
  void finish(int code) {
    if (exit_code_) return;
    exit_code_ = code;
    // A blocked stdout may hold the flush below for ever: a signal now ends it.
    stop_signals_.ending();
    duration_timer_.cancel();
    interval_timer_.cancel();
    silence_timer_.cancel();
    idle_timer_.cancel();
    report_final();
    for (auto& [key, s] : senders_) s->connection.close();
    for (auto& st : streams_) {
      if (st.listener) st.listener.stop();
      for (const auto& j : st.joins) log_.emit("leave", join_fields(j));
    }
    out_->on_drained = [this] { ctx_.stop(); };
    out_->close_when_drained();
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::Timer duration_timer_, interval_timer_, silence_timer_, idle_timer_;
  std::shared_ptr<FdWriter> out_;
  std::vector<StreamState> streams_;
  std::map<SenderKey, std::shared_ptr<Sender>> senders_;
  std::size_t listening_ = 0;
  Clock::time_point origin_ = Clock::now();
  Clock::time_point interval_start_;
  std::uint64_t total_ = 0;
  std::uint64_t refused_ = 0;
  bool hinted_ = false;
  bool warned_ = false;
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o, EventLog& log, const StdioAtStart& stdio) {
  if (o.ping) return run_ping(o, log);
  if (stdio.stdout_closed && o.output != Output::none) {
    log.error("standard output is closed: nowhere to write payloads (use -o none or >/dev/null)");
    return exit_usage;
  }
  Receiver receiver(o, log);
  return receiver.run();
}

}  // namespace taps_mcast_recv
