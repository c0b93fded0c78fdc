#include "ambi-verify/run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <memory>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "common/stop_signals.hpp"
#include "taps/preconnection.hpp"
#include "taps/timer.hpp"
#include "verifier/verifier_framer.hpp"

namespace ambi_verify {
namespace {

using namespace taps::apps;

// Individual dropped events per second; the rest are summed up (dropped_summary).
constexpr std::uint64_t max_drop_events = 10;

// A sender that delivered nothing for this long is closed (a later datagram from it
// opens a new Connection).
constexpr auto idle_sender = std::chrono::seconds(60);

// At most this much output waits for stdout before receiving pauses.
constexpr std::size_t output_limit = 1 << 20;
constexpr std::size_t max_datagram = 65536;

constexpr ambi::DropReason all_reasons[] = {ambi::DropReason::timeout, ambi::DropReason::no_digest,
                                            ambi::DropReason::replay, ambi::DropReason::overflow,
                                            ambi::DropReason::truncated};

// An authentication failure, as opposed to a resource limit (overflow, truncated).
bool integrity_failure(ambi::DropReason reason) {
  switch (reason) {
    case ambi::DropReason::timeout:
    case ambi::DropReason::no_digest:
    case ambi::DropReason::replay:
      return true;
    case ambi::DropReason::overflow:
    case ambi::DropReason::truncated:
      return false;
  }
  return false;
}

EventFields join_fields(const taps::MulticastJoin& j) {
  EventFields f = {{"group", j.group}};
  if (!j.source.empty()) f.emplace_back("source", j.source);
  f.emplace_back("interface", j.interface_name);
  return f;
}

class VerifyTool {
 public:
  VerifyTool(const Options& o, const EventLog& log)
      : o_(o), log_(log), stream_(o.stream), stop_signals_(
            ctx_, [this](int signo) { finish(128 + signo); },
            [this](int signo) {
              exit_code_ = 128 + signo;
              ctx_.stop();
            }),
        duration_timer_(ctx_),
        out_(std::make_shared<FdWriter>(ctx_, ::dup(STDOUT_FILENO))), reaper_(ctx_), summary_timer_(ctx_) {}

  int run() {
    out_->on_drained = [this] { resume_all(); };
    out_->on_error = [this](std::error_code ec) {
      log_.error(fmt::format("cannot write output: {}", ec.message()));
      finish(exit_connection);
    };
    session_ = std::make_shared<ambi_verifier::VerifierSession>(ctx_, config(), events());
    if (auto error = session_->start()) {
      log_.error(error->message());
      return exit_usage;
    }
    if (!listen()) return *exit_code_;
    if (o_.duration) {
      duration_timer_.start(*o_.duration, [this] {
        bool enough = o_.count ? total_ >= *o_.count : total_ > 0;
        finish(enough ? exit_ok : exit_timeout);
      });
    }
    ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  struct Sender {
    taps::Connection connection;
    std::chrono::steady_clock::time_point created, last_delivery;
    std::uint64_t delivered = 0;
    bool receiving = false;
  };

  // The current stream's (a refresh may change it).
  ambi_verifier::VerifierConfig config() const {
    ambi_verifier::VerifierConfig c;
    c.stream_id = stream_.stream_id;
    c.hash = stream_.hash;
    c.manifest_uris = stream_.manifest_uris;
    c.ca_file = o_.ca_file;
    c.limits = o_.limits;
    c.hash_threads = o_.workers - 1;
    if (stream_.stream_id != o_.stream.stream_id || stream_.hash != o_.stream.hash) {
      c.limits.data_hold_time = stream_.data_hold_time;
      c.limits.digest_hold_time = std::max(stream_.digest_hold_time, std::chrono::milliseconds(1));
    }
    return c;
  }

  ambi_verifier::VerifierEvents events() {
    ambi_verifier::VerifierEvents e;
    e.manifest = [this](const ambi::ManifestHeader& h) {
      EventFields f = {{"manifest_seq", std::int64_t{h.manifest_seq}},
                       {"first_packet_seq", std::int64_t{h.first_packet_seq}},
                       {"count", std::int64_t{h.digest_count}}};
      if (h.tlvs.refresh_deadline_s) f.emplace_back("refresh_deadline_s", std::int64_t{*h.tlvs.refresh_deadline_s});
      log_.emit("manifest", f);
    };
    e.manifest_gap = [this](std::uint32_t expected, std::uint32_t got) {
      log_.emit("manifest_gap", {{"expected", std::int64_t{expected}},
                                 {"got", std::int64_t{got}},
                                 {"missed", static_cast<std::int64_t>(static_cast<std::uint32_t>(got - expected))}});
    };
    if (log_.enabled()) {
      e.verified = [this](std::uint32_t seq, std::size_t size, const std::string& sender) {
        log_.emit("verified", {{"seq", std::int64_t{seq}}, {"size", static_cast<std::int64_t>(size)}, {"sender", sender}});
      };
    }
    e.dropped = [this](ambi::DropReason reason, std::size_t size, const std::string& sender) {
      report_drop(reason, size, sender);
      if (o_.strict && integrity_failure(reason)) {
        log_.error(fmt::format("integrity failure: a packet from {} dropped ({})", sender.empty() ? "?" : sender,
                               ambi::drop_reason_name(reason)));
        finish(exit_integrity);
      }
    };
    e.channel = [this](const ambi_verifier::ChannelStatus& s) {
      bool up = s.kind == ambi_verifier::ChannelStatus::Kind::connected;
      EventFields f = {{"state", std::string(up ? "connected" : "disconnected")}, {"uri", s.uri}};
      if (!up) {
        f.emplace_back("error", s.error);
        f.emplace_back("retry_ms", static_cast<std::int64_t>(s.retry_in.count()));
        if (s.orderly) f.emplace_back("orderly", true);
        // A server that ends its stream after a whole manifest (a sender at its end) is
        // no trouble worth a warning; the event says it all the same.
        if (!log_.enabled() && !s.orderly) {
          log_.warning(fmt::format("manifest server {}: {} (retry in {} ms)", s.uri, s.error, s.retry_in.count()));
        }
      }
      log_.emit("manifest_channel", f);
      certificate_failures_ = s.certificate_error ? certificate_failures_ + 1 : 0;
      if (o_.manifest_attempts != 0 && certificate_failures_ >= o_.manifest_attempts) {
        log_.error(fmt::format("manifest server {}: {} ({} attempts)", s.uri, s.error, certificate_failures_));
        finish(exit_establishment);
        return;
      }
      if (!up && s.protocol_error && o_.strict) {
        log_.error(fmt::format("integrity failure: {} sent a broken manifest stream: {}", s.uri, s.error));
        finish(exit_integrity);
      }
    };
    e.refresh_metadata = [this] { refresh_metadata(); };
    return e;
  }

  // Under a flood, one event per drop would make stderr the bottleneck: at most
  // max_drop_events a second one by one, the rest as one dropped_summary a second.
  void report_drop(ambi::DropReason reason, std::size_t size, const std::string& sender) {
    if (!log_.enabled()) return;
    auto now = std::chrono::steady_clock::now();
    if (now - drop_second_ >= std::chrono::seconds(1)) {
      drop_second_ = now;
      drops_this_second_ = 0;
    }
    if (++drops_this_second_ <= max_drop_events) {
      log_.emit("dropped", {{"reason", std::string(ambi::drop_reason_name(reason))},
                            {"size", static_cast<std::int64_t>(size)},
                            {"sender", sender}});
      return;
    }
    ++suppressed_[static_cast<std::size_t>(reason)];
    if (summary_timer_.pending()) return;
    summary_timer_.start_at(drop_second_ + std::chrono::seconds(1), [this] { report_suppressed(); });
  }

  void report_suppressed() {
    std::string counts = "{";
    std::uint64_t total = 0;
    for (auto reason : all_reasons) {
      auto n = suppressed_[static_cast<std::size_t>(reason)];
      if (n == 0) continue;
      counts += fmt::format("{}\"{}\":{}", counts.size() > 1 ? "," : "", ambi::drop_reason_name(reason), n);
      total += n;
    }
    counts += "}";
    suppressed_ = {};
    if (total > 0) log_.emit("dropped_summary", {{"dropped", JsonText{counts}}, {"count", static_cast<std::int64_t>(total)}});
  }

  // Refresh Deadline: the metadata may name other manifest servers, or another manifest
  // stream of the same (S, G, port), now.
  void refresh_metadata() {
    if (o_.metadata_file.empty()) return;
    auto parsed = ambi_metadata::read_metadata_file(o_.metadata_file);
    if (auto* error = std::get_if<ambi_metadata::MetadataError>(&parsed)) {
      log_.warning("metadata refresh: " + error->message());
      return;
    }
    auto chosen = refreshed_stream(std::get<0>(parsed), stream_);
    if (!chosen) {
      log_.warning(fmt::format("metadata refresh: {} has no manifest stream with an ambi+tls URI for {} -> {}:{}",
                               o_.metadata_file, stream_.source, stream_.group, stream_.port));
      return;
    }
    std::string uris;
    for (const auto& uri : chosen->manifest_uris) uris += (uris.empty() ? "" : " ") + uri.to_string();
    log_.emit("metadata", {{"file", o_.metadata_file}, {"stream_id", std::int64_t{chosen->stream_id}}, {"uris", uris}});
    stream_ = *chosen;
    auto c = config();
    session_->switch_stream(std::move(c));
  }

  bool listen() {
    taps::LocalEndpoint local;
    local.with_port(o_.stream.port);
    local.with_single_source_multicast_group(o_.stream.group, o_.stream.source);
    if (!o_.interface_name.empty()) local.with_interface(o_.interface_name);
    taps::Preconnection p;
    p.local_endpoints() = {local};
    p.transport_properties() = o_.multicast_properties;
    p.transport_properties().set("reliability", taps::Preference::prohibit);
    p.transport_properties().set_direction(taps::Direction::unidirectional_receive);
    p.add_framer(ambi_verifier::ambi_verifier_framer(session_));

    taps::ListenerHandlers h;
    h.joined = [this](const taps::MulticastJoin& j) {
      joins_.push_back(j);
      log_.emit("join", join_fields(j));
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.error(e.message());
      finish(exit_code_for_establishment(e.code));
    };
    h.soft_error = [this](const taps::Error& e) {
      if (e.code == taps::errc::message_too_large) {
        session_->on_truncated({});
      } else {
        log_.warning(e.message());
      }
    };
    h.connection_received = [this](taps::Connection c) { return on_sender(std::move(c)); };
    auto listener = p.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(listener.error().message());
      exit_code_ = exit_code_for_establishment(listener.error().code);
      return false;
    }
    listener_ = *listener;
    listener_.set_new_connection_limit(o_.max_senders);
    return true;
  }

  // One Connection per sender port, at most --max-senders (a spoofer has 65,535 ports).
  // The Listener's connection limit (RFC 9622 SetNewConnectionLimit) is kept at the free
  // slots, so that datagrams from further ports cost no state at all; every second,
  // senders that have delivered nothing for data-hold-time (forged, or still waiting:
  // those packets are counted when they time out) make room again, and senders quiet
  // for a minute are closed.
  taps::ConnectionHandlers on_sender(taps::Connection c) {
    auto now = std::chrono::steady_clock::now();
    if (senders_.size() >= o_.max_senders) {
      ++senders_refused_;
      c.abort();
      return {};
    }
    auto& s = *senders_.emplace_back(std::make_unique<Sender>(Sender{c, now, now}));
    taps::ConnectionHandlers h;
    h.received = [this, &s](taps::Message m, taps::MessageContext) {
      s.receiving = false;
      on_payload(s, std::move(m));
    };
    h.received_partial = [this, &s](taps::Message m, taps::MessageContext, bool) {
      s.receiving = false;
      on_payload(s, std::move(m));
    };
    h.connection_error = [this](const taps::Error& e) {
      if (e.code != taps::errc::connection_aborted) log_.warning(e.message());
    };
    request(s);
    if (senders_.size() == o_.max_senders && !table_full_warned_) {
      table_full_warned_ = true;
      log_.warning(fmt::format("{} sender ports, the most --max-senders allows: datagrams from others wait for a free "
                               "slot (senders that deliver nothing give theirs up after data-hold-time)",
                               senders_.size()));
    }
    arm_reaper();
    return h;
  }

  void close_sender(std::vector<std::unique_ptr<Sender>>::iterator it) {
    (*it)->connection.abort();
    // Its handlers refer to the Sender: keep it until the abort has run its course.
    retired_.push_back(std::move(*it));
    senders_.erase(it);
  }

  void arm_reaper() {
    if (reaper_.pending() || exit_code_) return;
    reaper_.start(std::chrono::seconds(1), [this] {
      if (!exit_code_) reap();
    });
  }

  void reap() {
    auto now = std::chrono::steady_clock::now();
    retired_.clear();
    bool full = senders_.size() >= o_.max_senders;
    for (auto it = senders_.begin(); it != senders_.end();) {
      const auto& s = **it;
      bool silent = s.delivered == 0 && now - s.created >= o_.limits.data_hold_time;
      bool idle = s.delivered > 0 ? now - s.last_delivery > idle_sender : now - s.created > idle_sender;
      if ((full && silent) || idle) {
        if (full && silent) ++senders_evicted_;
        close_sender(it);
      } else {
        ++it;
      }
    }
    if (listener_) listener_.set_new_connection_limit(o_.max_senders - senders_.size());
    if (!senders_.empty()) arm_reaper();
  }

  void on_payload(Sender& s, taps::Message m) {
    if (exit_code_) return;
    ++total_;
    ++s.delivered;
    s.last_delivery = std::chrono::steady_clock::now();
    if (o_.output != Output::none) out_->write(render_payload(o_.output, std::move(m)));
    if (o_.count && total_ >= *o_.count) {
      finish(exit_ok);
      return;
    }
    request(s);
  }

  // One receive at a time per sender; none while stdout is behind.
  void request(Sender& s) {
    if (s.receiving || exit_code_ || out_->queued_bytes() >= output_limit) return;
    s.receiving = true;
    s.connection.receive(1, max_datagram);
  }

  void resume_all() {
    for (auto& s : senders_) request(*s);
  }

  void report_stats() {
    const auto& st = session_->stats();
    std::string dropped = "{";
    std::string text;
    for (auto reason : all_reasons) {
      auto n = st.dropped[static_cast<std::size_t>(reason)];
      dropped += fmt::format("{}\"{}\":{}", dropped.size() > 1 ? "," : "", ambi::drop_reason_name(reason), n);
      text += fmt::format(" {}={}", ambi::drop_reason_name(reason), n);
    }
    dropped += "}";
    if (log_.verbosity() == Verbosity::json) {
      log_.emit("stats", {{"verified", static_cast<std::int64_t>(st.verified)},
                          {"dropped", JsonText{dropped}},
                          {"held", static_cast<std::int64_t>(st.held)},
                          {"manifests", static_cast<std::int64_t>(st.manifests)},
                          {"digests", static_cast<std::int64_t>(st.digests)},
                          {"digests_too_old", static_cast<std::int64_t>(st.digests_too_old)},
                          {"manifests_missed", static_cast<std::int64_t>(st.manifests_missed)},
                          {"senders", static_cast<std::int64_t>(senders_.size())},
                          {"senders_evicted", static_cast<std::int64_t>(senders_evicted_)},
                          {"senders_refused", static_cast<std::int64_t>(senders_refused_)}});
    } else if (o_.stats) {
      log_.error(fmt::format("stats: verified={} dropped:{} held={} manifests={} digests={}", st.verified, text, st.held,
                             st.manifests, st.digests));
    }
  }

  // Final statistics, Close on every sender, stop (which leaves the group), then exit
  // once stdout has everything.
  void finish(int code) {
    if (exit_code_) return;
    exit_code_ = code;
    // A blocked stdout may hold the flush below for ever: a signal now ends it.
    stop_signals_.ending();
    duration_timer_.cancel();
    reaper_.cancel();
    summary_timer_.cancel();
    report_suppressed();
    report_stats();
    session_->stop();
    for (auto& s : senders_) s->connection.close();
    if (listener_) listener_.stop();
    for (const auto& j : joins_) log_.emit("leave", join_fields(j));
    out_->on_drained = [this] { ctx_.stop(); };
    out_->close_when_drained();
  }

  const Options& o_;
  const EventLog& log_;
  ambi_metadata::StreamMetadata stream_;  // the stream verified now
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::Timer duration_timer_;
  std::shared_ptr<FdWriter> out_;
  std::shared_ptr<ambi_verifier::VerifierSession> session_;
  taps::Listener listener_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::vector<std::unique_ptr<Sender>> retired_;  // aborted, until the next reap
  taps::Timer reaper_;
  bool table_full_warned_ = false;
  std::uint64_t senders_refused_ = 0, senders_evicted_ = 0;
  taps::Timer summary_timer_;
  std::chrono::steady_clock::time_point drop_second_;
  std::uint64_t drops_this_second_ = 0;
  std::array<std::uint64_t, std::size(all_reasons)> suppressed_{};
  std::vector<taps::MulticastJoin> joins_;
  std::uint64_t total_ = 0;
  std::uint32_t certificate_failures_ = 0;  // in a row
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o, EventLog& log, const StdioAtStart& stdio) {
  if (stdio.stdout_closed && o.output != Output::none) {
    log.error("standard output is closed: nowhere to write verified payloads (use -o none or >/dev/null)");
    return exit_usage;
  }
  VerifyTool tool(o, log);
  return tool.run();
}

}  // namespace ambi_verify
