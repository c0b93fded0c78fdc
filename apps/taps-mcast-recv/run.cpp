#include "taps-mcast-recv/run.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <memory>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "taps-mcast-recv/hints.hpp"
#include "taps-mcast-recv/stats.hpp"

namespace taps_mcast_recv {
namespace {

using namespace taps::apps;

// receive() calls kept open per sender.
constexpr int receive_window = 32;
// At most this much output waits for stdout before receiving pauses.
constexpr std::size_t output_limit = 1 << 20;
constexpr std::size_t max_datagram = 65536;
// Without -t, hints about silence come after this long.
constexpr auto silence_delay = std::chrono::seconds(5);

EventFields join_fields(const taps::MulticastJoin& j) {
  EventFields f = {{"group", j.group}};
  if (!j.source.empty()) f.emplace_back("source", j.source);
  f.emplace_back("interface", j.interface_name);
  return f;
}

class Receiver {
 public:
  Receiver(const Options& o, const EventLog& log)
      : o_(o), log_(log), io_(ctx_.io_context()), signals_(io_, SIGINT, SIGTERM), duration_timer_(io_),
        stats_timer_(io_), silence_timer_(io_), out_(std::make_shared<FdWriter>(io_, ::dup(STDOUT_FILENO))) {}

  int run() {
    out_->on_drained = [this] { resume_all(); };
    out_->on_error = [this](std::error_code ec) {
      log_.error(fmt::format("cannot write output: {}", ec.message()));
      finish(exit_connection);
    };
    signals_.async_wait([this](std::error_code ec, int signo) {
      if (!ec) finish(128 + signo);
    });
    if (!listen()) return *exit_code_;
    io_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  struct Sender {
    taps::Connection connection;
    SenderStats stats;
    int receives_open = 0;  // receive() calls not yet answered
  };

  bool listen() {
    taps::ListenerHandlers h;
    h.joined = [this](const taps::MulticastJoin& j) {
      joins_.push_back(j);
      joined_at_ = Clock::now();
      log_.emit("join", join_fields(j), joined_at_);
      if (joins_.size() == std::max<std::size_t>(1, o_.sources.size())) start_timers();
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.error(e.message());
      finish(exit_code_for_establishment(e.code));
    };
    h.soft_error = [this](const taps::Error& e) { log_.warning(e.message()); };
    h.connection_received = [this](taps::Connection c) { return on_sender(std::move(c)); };
    auto listener = o_.preconnection.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(listener.error().message());
      exit_code_ = exit_code_for_establishment(listener.error().code);
      return false;
    }
    listener_ = *listener;
    return true;
  }

  void start_timers() {
    if (o_.duration) {
      duration_timer_.expires_after(*o_.duration);
      duration_timer_.async_wait([this](std::error_code ec) {
        if (ec) return;
        if (total_ == 0) print_hints();
        bool enough = o_.count ? total_ >= *o_.count : total_ > 0;
        finish(enough ? exit_ok : exit_timeout);
      });
    }
    if (!o_.duration || *o_.duration > silence_delay) {
      silence_timer_.expires_after(silence_delay);
      silence_timer_.async_wait([this](std::error_code ec) {
        if (!ec && total_ == 0) print_hints();
      });
    }
    if (o_.stats_interval) periodic_stats();
  }

  void periodic_stats() {
    stats_timer_.expires_after(*o_.stats_interval);
    stats_timer_.async_wait([this](std::error_code ec) {
      if (ec) return;
      report_stats(true);
      periodic_stats();
    });
  }

  taps::ConnectionHandlers on_sender(taps::Connection c) {
    auto now = Clock::now();
    auto& s = *senders_.emplace_back(std::make_unique<Sender>(Sender{c, SenderStats(c.remote_endpoint(), o_.seq, now)}));
    auto t_first = std::chrono::duration<double, std::milli>(now - joined_at_).count();
    log_.emit("sender", {{"sender", c.remote_endpoint()}, {"t_first_ms", t_first}}, now);
    taps::ConnectionHandlers h;
    h.received = [this, &s](taps::Message m, taps::MessageContext) {
      --s.receives_open;
      on_message(s, std::move(m));
    };
    h.received_partial = [this, &s](taps::Message m, taps::MessageContext, bool) {
      --s.receives_open;
      on_message(s, std::move(m));
    };
    h.connection_error = [this](const taps::Error& e) { log_.warning(e.message()); };
    request(s);
    return h;
  }

  void on_message(Sender& s, taps::Message m) {
    if (exit_code_) return;
    if (!s.stats.on_datagram({m.data(), m.size()}, Clock::now())) {
      request(s);
      return;
    }
    ++total_;
    if (o_.output != Output::none) out_->write(render_payload(o_.output, std::move(m)));
    if (o_.count && total_ >= *o_.count) {
      finish(exit_ok);
      return;
    }
    request(s);
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
    for (auto& s : senders_) request(*s);
  }

  void report_stats(bool periodic) {
    auto now = Clock::now();
    for (auto& s : senders_) {
      if (log_.verbosity() == Verbosity::json) {
        log_.emit("stats", s->stats.fields(now, periodic), now);
      } else if (o_.stats) {
        log_.error("stats: " + s->stats.text(now, periodic));
      }
    }
  }

  void print_hints() {
    std::string where = joins_.empty() ? std::string() : joins_.front().interface_name;
    log_.error(fmt::format("nothing arrived for {}:{}{}; things to check:", o_.group, o_.port,
                           where.empty() ? "" : " on " + where));
    for (const auto& hint : silence_hints(o_.group, o_.sources, where)) log_.error("  hint: " + hint);
  }

  // Final statistics, Close on every sender, stop (which leaves the groups), then exit
  // once stdout has everything.
  void finish(int code) {
    if (exit_code_) return;
    exit_code_ = code;
    signals_.cancel();
    duration_timer_.cancel();
    stats_timer_.cancel();
    silence_timer_.cancel();
    if (o_.stats || log_.verbosity() == Verbosity::json) report_stats(false);
    for (auto& s : senders_) s->connection.close();
    listener_.stop();
    for (const auto& j : joins_) log_.emit("leave", join_fields(j));
    out_->on_drained = [this] { io_.stop(); };
    out_->close_when_drained();
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  asio::io_context& io_;
  asio::signal_set signals_;
  asio::steady_timer duration_timer_, stats_timer_, silence_timer_;
  std::shared_ptr<FdWriter> out_;
  taps::Listener listener_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::vector<taps::MulticastJoin> joins_;
  Clock::time_point joined_at_ = Clock::now();
  std::uint64_t total_ = 0;
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o) {
  EventLog log("taps-mcast-recv", o.verbosity);
  std::signal(SIGPIPE, SIG_IGN);
  StdioFlagsGuard guard;
  grow_pipe(STDOUT_FILENO, 1 << 20);
  Receiver receiver(o, log);
  int code = receiver.run();
  hold_stop_signals();
  return code;
}

}  // namespace taps_mcast_recv
