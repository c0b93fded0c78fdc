#include "ambi-manifest-send/run.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include "ambi-manifest-send/manifest_server.hpp"
#include "ambi-manifest-send/originator.hpp"
#include "ambi-manifest-send/witness.hpp"
#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "common/stop_signals.hpp"
#include "taps/timer.hpp"
#include "verifier/packet_endpoints.hpp"

namespace ambi_manifest_send {
namespace {

using namespace taps::apps;

// At stdin EOF, verifiers get at most this long to take the last manifest.
constexpr auto flush_limit = std::chrono::seconds(2);

// Written to a temporary name first, so that a reader never sees half a file.
bool write_file(const std::string& path, const std::string& text) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!(out << text) || !out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

class ManifestSendTool {
 public:
  ManifestSendTool(const Options& o, const EventLog& log)
      : o_(o),
        log_(log),
        stop_signals_(
            ctx_, [this](int signo) { finish(o_.mode == Mode::witness ? exit_ok : 128 + signo); },
            [this](int signo) {
              exit_code_ = o_.mode == Mode::witness ? exit_ok : 128 + signo;
              ctx_.stop();
            }),
        linger_timer_(ctx_) {}

  int run() {
    ServerConfig sc;
    sc.host = o_.listen_host;
    sc.port = o_.listen_port;
    sc.cert_file = o_.cert_file;
    sc.key_file = o_.key_file;
    sc.max_backlog = o_.max_backlog;
    sc.max_verifiers = o_.max_verifiers;
    sc.history = o_.stream.digest_hold_time;
    ServerHandlers sh;
    sh.listening = [this](const std::string& local) { on_listening(local); };
    sh.failed = [this](const taps::Error& e) {
      log_.error(e.message());
      finish(exit_code_for_establishment(e.code));
    };
    sh.verifier = [this](const std::string& state, const std::string& peer, const std::string& detail) {
      EventFields f = {{"state", state}, {"peer", peer}};
      if (!detail.empty()) f.emplace_back("detail", detail);
      log_.emit("verifier", f);
      if (state == "cut_off") log_.warning(fmt::format("verifier {} cut off: {}", peer, detail));
      if (state == "connected") maybe_originate();
    };
    server_ = std::make_unique<ManifestServer>(ctx_, sc, sh);
    if (auto error = server_->start()) {
      log_.error(error->message());
      return exit_usage;
    }
    ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  void on_listening(const std::string& local) {
    log_.emit("listening", {{"local", local}});
    auto bound = ambi_verifier::parse_address_port(local);
    auto stream = o_.stream;
    stream.manifest_uris = {{uri_host(o_), bound ? bound->second : o_.listen_port}};
    if (!o_.metadata_out.empty() && !write_file(o_.metadata_out, ambi_metadata::to_json({stream}))) {
      log_.error(fmt::format("cannot write --metadata-out '{}'", o_.metadata_out));
      finish(exit_usage);
      return;
    }
    auto publish = [this](std::vector<std::uint8_t> manifest, const ambi::ManifestHeader& h) {
      ++manifests_;
      log_.emit("manifest", {{"manifest_seq", std::int64_t{h.manifest_seq}},
                             {"first_packet_seq", std::int64_t{h.first_packet_seq}},
                             {"count", std::int64_t{h.digest_count}}});
      server_->publish(std::move(manifest));
    };
    auto failed = [this](int code, const taps::Error& e) {
      log_.error(e.message());
      finish(code);
    };
    if (o_.mode == Mode::originate) {
      Originator::Handlers h;
      h.publish = publish;
      h.sending = [this](const std::string& local) { on_sending(local); };
      h.failed = failed;
      h.done = [this] { server_->when_flushed(flush_limit, [this] { linger(); }); };
      originator_ = std::make_unique<Originator>(ctx_, o_, std::move(h));
      maybe_originate();
    } else {
      Witness::Handlers h;
      h.publish = publish;
      h.failed = failed;
      h.joined = [this](const taps::MulticastJoin& j) {
        log_.emit("join", {{"group", j.group}, {"source", j.source}, {"interface", j.interface_name}});
      };
      witness_ = std::make_unique<Witness>(ctx_, o_, std::move(h));
      witness_->start();
    }
  }

  // --wait-verifiers: a file takes milliseconds to send; verifiers started after it
  // would get only what the history holds.
  void maybe_originate() {
    if (!originator_ || originating_ || server_->verifiers() < o_.wait_verifiers) return;
    originating_ = true;
    originator_->start();
  }

  // --linger: verifiers that connect late still get the history.
  void linger() {
    if (o_.linger.count() == 0) {
      finish(exit_ok);
      return;
    }
    linger_timer_.start(o_.linger, [this] { finish(exit_ok); });
  }

  // Digests cover the source port: tell it, and say so when it is not the one asked for.
  void on_sending(const std::string& local) {
    log_.emit("sending", {{"local", local}});
    auto bound = ambi_verifier::parse_address_port(local);
    if (o_.source_port != 0 && bound && bound->second != o_.source_port) {
      log_.warning(fmt::format("--source-port {} was not honoured: the datagrams leave from {}", o_.source_port, local));
    }
  }

  void finish(int code) {
    if (exit_code_) return;
    exit_code_ = code;
    stop_signals_.ending();
    linger_timer_.cancel();
    std::uint64_t packets = 0, bytes = 0;
    if (originator_) {
      packets = originator_->packets();
      bytes = originator_->bytes();
      originator_->stop();
    }
    if (witness_) {
      packets = witness_->packets();
      bytes = witness_->bytes();
      witness_->stop();
    }
    log_.emit("stats", {{"packets", static_cast<std::int64_t>(packets)},
                        {"bytes", static_cast<std::int64_t>(bytes)},
                        {"manifests", static_cast<std::int64_t>(manifests_)},
                        {"verifiers_refused", static_cast<std::int64_t>(server_ ? server_->refused() : 0)}});
    if (server_) server_->stop();
    // Lets the closes above reach the wire.
    ctx_.post([this] { ctx_.stop(); });
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::Timer linger_timer_;
  std::unique_ptr<ManifestServer> server_;
  std::unique_ptr<Originator> originator_;
  std::unique_ptr<Witness> witness_;
  std::uint64_t manifests_ = 0;
  bool originating_ = false;
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o, EventLog& log, const StdioAtStart&) {
  ManifestSendTool tool(o, log);
  return tool.run();
}

}  // namespace ambi_manifest_send
