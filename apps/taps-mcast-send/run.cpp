#include "taps-mcast-send/run.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <ctime>
#include <memory>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "common/stop_signals.hpp"
#include "taps-mcast-send/pacer.hpp"
#include "taps-mcast-send/responder.hpp"
#include "taps-mcast-send/stdin_datagrams.hpp"
#include "taps/context.hpp"
#include "taps/timer.hpp"

namespace taps_mcast_send {
namespace {

using namespace taps::apps;

// Datagrams handed to a Connection and not yet reported sent: past this the kernel
// is the bottleneck, and queueing more would only grow memory.
constexpr std::uint64_t max_unsettled = 4096;
// iperf2's client repeats its end marker; a receiver that missed one still ends.
constexpr int iperf2_end_markers = 10;
// Datagrams read from stdin ahead of sending: reading pauses past this.
constexpr std::size_t stdin_ahead = 1024;

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class Sender {
 public:
  Sender(const Options& o, const EventLog& log)
      : o_(o), log_(log), stop_signals_(
            ctx_, [this](int signo) { end(128 + signo); },
            [this](int signo) {
              exit_code_ = 128 + signo;
              ctx_.stop();
            }),
        tick_timer_(ctx_),
        duration_timer_(ctx_), datagrams_(o.size, o.lines) {}

  int run() {
    streams_.reserve(o_.streams.size());
    for (const auto& spec : o_.streams) streams_.push_back(std::make_unique<Stream>(spec));
    for (auto& s : streams_) {
      if (!initiate(*s)) return exit_code_.value_or(exit_establishment);
    }
    ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  struct Stream {
    explicit Stream(const taps_mcast_send::Stream& s) : spec(s) {}
    const taps_mcast_send::Stream& spec;
    taps::Connection connection;
    std::string local, interface_name;
    // Data datagrams only: their message ids are 1..queued; end markers come after.
    std::uint64_t queued = 0, sent = 0, failed = 0;
    std::uint64_t bytes = 0;  // queued; all sent unless `failed`
    Clock::time_point first_sent, last_sent;
    bool ready = false, done = false;
    std::uint64_t unsettled() const { return queued - sent - failed; }
  };

  bool initiate(Stream& s) {
    taps::ConnectionHandlers h;
    h.race = [&s](const taps::RaceEvent& e) {
      if (e.kind != taps::RaceEvent::Kind::ready) return;
      s.local = e.local;
      s.interface_name = e.interface_name;
    };
    h.ready = [this, &s] {
      s.ready = true;
      EventFields f = {{"group", group_port_string(s.spec.target.group, s.spec.target.port)}, {"local", s.local}};
      if (!s.interface_name.empty()) f.emplace_back("interface", s.interface_name);
      log_.emit("ready", f);
      if (++ready_ == streams_.size()) start();
    };
    // A Connection that never became ready delivers nothing more: not even closed.
    h.establishment_error = [this, &s](const taps::Error& e) {
      log_.error(e.message());
      s.done = true;
      if (ending_) {
        maybe_stop();
      } else {
        end(exit_code_for_establishment(e.code));
      }
    };
    h.sent = [this, &s](const taps::MessageContext& ctx) {
      if (ctx.id > s.queued) return;  // an end marker
      auto now = Clock::now();
      if (s.sent == 0) s.first_sent = now;
      s.last_sent = now;
      ++s.sent;
      if (!ending_) pump();
    };
    h.send_error = [this, &s](const taps::MessageContext& ctx, const taps::Error& e) {
      if (ctx.id > s.queued) return;
      if (s.failed++ == 0) log_.warning(e.message());
      if (!ending_) pump();
    };
    h.closed = [this, &s] { stream_done(s); };
    h.connection_error = [this, &s](const taps::Error& e) {
      log_.error(e.message());
      stream_done(s);
    };
    auto c = s.spec.preconnection.initiate(ctx_, std::move(h));
    if (!c) {
      log_.error(c.error().message());
      exit_code_ = exit_code_for_establishment(c.error().code);
      return false;
    }
    s.connection = *c;
    return true;
  }

  void start() {
    if (ending_) return;
    pacer_.emplace(o_.rate, Clock::now());
    if (o_.from_stdin) {
      stdin_ = std::make_shared<FdReader>(ctx_, ::dup(STDIN_FILENO));
      read_stdin();
    }
    if (o_.duration) {
      duration_timer_.start(*o_.duration, [this] { end(exit_ok); });
    }
    tick();
  }

  void read_stdin() {
    if (reading_ || stdin_eof_ || ending_ || datagrams_.ready().size() >= stdin_ahead) return;
    reading_ = true;
    stdin_->read(o_.lines ? 65536 : o_.size, [this](std::error_code ec, std::vector<std::uint8_t> bytes) {
      reading_ = false;
      if (ending_) return;
      if (ec || bytes.empty()) {
        if (ec) log_.warning("stdin: " + ec.message());
        stdin_eof_ = true;
        datagrams_.finish();
        if (datagrams_.cut_lines() > 0) {
          log_.warning(fmt::format("{} lines longer than --size {} were sent in pieces", datagrams_.cut_lines(), o_.size));
        }
      } else {
        datagrams_.feed(bytes);
      }
      pump();
      read_stdin();
    });
  }

  void tick() {
    if (ending_) return;
    pump();
    if (!o_.paced) return;
    if (ending_) return;
    auto now = Clock::now();
    tick_timer_.start_at(std::max(pacer_->next_due(), now + pacer_->tick()), [this] { tick(); });
  }

  // Releases what the schedule says is due, as far as the Connections keep up.
  void pump() {
    if (!pacer_ || ending_) return;
    std::uint64_t n = o_.paced ? pacer_->due(Clock::now()) : UINT64_MAX;
    if (o_.from_stdin) n = std::min<std::uint64_t>(n, datagrams_.ready().size());
    if (o_.count) n = std::min(n, *o_.count - pacer_->released());
    for (const auto& s : streams_) n = std::min(n, max_unsettled - std::min(max_unsettled, s->unsettled()));
    if (n > 0) {
      std::int64_t now_ns = realtime_ns();
      for (std::uint64_t i = 0; i < n; ++i) {
        if (o_.from_stdin) {
          auto payload = std::move(datagrams_.ready().front());
          datagrams_.ready().pop_front();
          for (auto& s : streams_) send_payload(*s, payload);
        } else {
          for (auto& s : streams_) send_datagram(*s, pacer_->released() + i, now_ns, false);
        }
      }
      pacer_->release(n);
    }
    if (o_.count && pacer_->released() >= *o_.count) {
      end(exit_ok);
    } else if (o_.from_stdin && stdin_eof_ && datagrams_.ready().empty()) {
      end(exit_ok);
    } else if (o_.from_stdin) {
      read_stdin();
    }
  }

  void send_payload(Stream& s, std::vector<std::uint8_t> payload) {
    s.bytes += payload.size();
    s.connection.send(taps::Message(std::move(payload)));
    ++s.queued;
  }

  void send_datagram(Stream& s, std::uint64_t index, std::int64_t now_ns, bool end_marker) {
    std::vector<std::uint8_t> payload(o_.size);
    // iperf2 numbers its datagrams from 1.
    std::uint64_t seq = o_.seq == SeqFormat::iperf2 ? index + 1 : index;
    write_seq_header(o_.seq, seq, now_ns, end_marker, payload);
    if (!end_marker) {
      s.bytes += payload.size();
      ++s.queued;
    }
    s.connection.send(taps::Message(std::move(payload)));
  }

  // No more datagrams: the end markers, then Close on every group; exit once all closed.
  void end(int code) {
    if (ending_) return;
    ending_ = true;
    exit_code_ = code;
    stop_signals_.ending();
    tick_timer_.cancel();
    duration_timer_.cancel();
    if (stdin_) stdin_->close();
    for (auto& s : streams_) {
      if (!s->connection || s->done) continue;
      if (o_.seq == SeqFormat::iperf2 && s->queued > 0) {
        for (int i = 0; i < iperf2_end_markers; ++i) send_datagram(*s, s->queued - 1, realtime_ns(), true);
      }
      s->connection.close();
    }
    maybe_stop();
  }

  void stream_done(Stream& s) {
    if (s.done) return;
    s.done = true;
    if (!ending_) end(exit_connection);
    maybe_stop();
  }

  void maybe_stop() {
    for (const auto& s : streams_) {
      if (s->connection && !s->done) return;
    }
    report();
    ctx_.stop();
  }

  void report() {
    for (const auto& s : streams_) {
      if (!s->ready) continue;
      double seconds = s->sent > 1 ? std::chrono::duration<double>(s->last_sent - s->first_sent).count() : 0;
      // The rate is over the intervals between datagrams: one datagram has none.
      double pps = seconds > 0 ? static_cast<double>(s->sent - 1) / seconds : 0;
      double mean_size = s->queued ? static_cast<double>(s->bytes) / static_cast<double>(s->queued) : 0;
      double mbps = pps * mean_size * 8 / 1e6;
      auto bytes = static_cast<std::uint64_t>(mean_size * static_cast<double>(s->sent) + 0.5);
      auto where = group_port_string(s->spec.target.group, s->spec.target.port);
      if (log_.verbosity() == Verbosity::json) {
        EventFields f = {{"group", s->spec.target.group}};
        if (!s->spec.target.source.empty()) f.emplace_back("source", s->spec.target.source);
        f.emplace_back("port", static_cast<std::int64_t>(s->spec.target.port));
        f.emplace_back("packets", static_cast<std::int64_t>(s->sent));
        f.emplace_back("bytes", static_cast<std::int64_t>(bytes));
        f.emplace_back("seconds", seconds);
        f.emplace_back("pps", pps);
        f.emplace_back("mbps", mbps);
        f.emplace_back("errors", static_cast<std::int64_t>(s->failed));
        log_.emit("sent", f);
      } else {
        std::string line = fmt::format("sent {} packets ({} bytes) to {}", s->sent, bytes, where);
        if (s->sent > 1) line += fmt::format(" in {:.3f} s: {:.0f} pps, {:.3f} Mbit/s", seconds, pps, mbps);
        if (s->failed) line += fmt::format(", {} failed", s->failed);
        log_.error(line);
      }
      if (s->failed && exit_code_ == exit_ok) exit_code_ = exit_connection;
    }
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::Timer tick_timer_, duration_timer_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::optional<Pacer> pacer_;
  std::shared_ptr<FdReader> stdin_;
  StdinDatagrams datagrams_;
  bool reading_ = false, stdin_eof_ = false;
  std::size_t ready_ = 0;
  bool ending_ = false;
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o, EventLog& log, const StdioAtStart&) {
  if (o.responder) return run_responder(o, log);
  Sender sender(o, log);
  return sender.run();
}

}  // namespace taps_mcast_send
