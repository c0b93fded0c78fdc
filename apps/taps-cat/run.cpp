#include "taps-cat/run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <map>
#include <set>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "common/process_setup.hpp"
#include "common/stop_signals.hpp"
#include "taps-cat/child.hpp"
#include "taps-cat/clone_group.hpp"
#include "taps-cat/stream_events.hpp"
#include "taps-cat/resolve_output.hpp"
#include "taps-cat/session.hpp"
#include "taps/config.hpp"
#include "taps/preconnection.hpp"
#include "taps/security.hpp"
#include "taps/signal_watch.hpp"

namespace taps_cat {
namespace {

using namespace taps::apps;

// A UDP peer of `-l -k` that sent nothing for this long is forgotten.
constexpr std::chrono::seconds udp_peer_idle{60};

class Runner {
 public:
  Runner(const Options& o, const EventLog& log)
      : o_(o),
        log_(log),
        // The flush of what already arrived gets the grace time; a second signal skips it.
        stop_signals_(
            ctx_, [this](int signo) { stop_orderly(signo); },
            [this](int signo) {
              interrupted_ = signo;
              finish_now();
            }),
        children_(ctx_, {SIGCHLD}, [this](int) { reap(); }),
        next_scan_port_(o.port) {}

  int run() {
    if (o_.resolve_only) resolve();
    else if (o_.scan) scan_next();
    else if (o_.mode == Mode::connect && o_.clone > 0) connect_group();
    else if (o_.mode == Mode::connect) connect();
    else listen();
    if (!exit_code_) ctx_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  bool is_udp() const { return o_.preconnection.transport_properties().get("reliability") == taps::Preference::prohibit; }

  // Each reader and writer owns a duplicate of the standard descriptor. dup() fails at
  // the descriptor limit: that costs one connection, never the process.
  std::shared_ptr<FdReader> stdin_reader() {
    int fd = ::dup(STDIN_FILENO);
    return fd == -1 ? nullptr : std::make_shared<FdReader>(ctx_, fd);
  }
  std::shared_ptr<FdWriter> stdout_writer() {
    int fd = ::dup(STDOUT_FILENO);
    return fd == -1 ? nullptr : std::make_shared<FdWriter>(ctx_, fd);
  }

  // -k: every connection writes to one writer, so that a message (a line, a datagram, a
  // chunk) reaches stdout whole, whatever the pipe accepts per write.
  std::shared_ptr<FdWriter> shared_stdout() {
    if (shared_stdout_) return shared_stdout_;
    shared_stdout_ = stdout_writer();
    if (!shared_stdout_) return nullptr;
    shared_stdout_->on_drained = [this] {
      for (const auto& s : std::vector(sessions_.begin(), sessions_.end())) s->output_drained();
    };
    shared_stdout_->on_error = [this](std::error_code ec) {
      log_.error(fmt::format("cannot write output: {}", ec.message()));
      for (const auto& s : std::vector(sessions_.begin(), sessions_.end())) s->output_failed(ec);
      done(exit_connection);
    };
    return shared_stdout_;
  }

  std::string descriptor_shortage() const {
    long limit = descriptor_limit();
    return limit > 0 ? fmt::format("too many open files (the limit is {}; see ulimit -n)", limit)
                     : std::string("too many open files");
  }

  void connect() {
    SessionConfig config;
    config.datagrams = is_udp();
    config.lines = o_.framed();
    config.max_line = o_.max_message;
    config.close_after_input = true;
    config.read_input = !o_.recv_only;
    config.discard_output = o_.send_only;
    apply_line_and_idle_options(config);
    config.wait = o_.wait;
    config.warn_if_plaintext = o_.preconnection.security_parameters().opportunistic_security;
    auto input = stdin_reader();
    auto output = stdout_writer();
    if (!input || !output) {
      log_.error(fmt::format("cannot set up stdin and stdout: {}", std::strerror(errno)));
      exit_code_ = exit_usage;
      return;
    }
    auto session = add_session(config, std::move(input), std::move(output));
    if (o_.fast_open) {
      session->read_first_message([this, session](std::vector<std::uint8_t> first) { initiate(session, std::move(first)); });
      return;
    }
    initiate(session, {});
  }

  // Initiate, or with --fast-open and a first read of stdin, InitiateWithSend with it as
  // a safelyReplayable message (TCP Fast Open).
  void initiate(const std::shared_ptr<Session>& session, std::vector<std::uint8_t> first) {
    auto connection = [&] {
      if (o_.rendezvous) return rendezvous(*session);
      if (first.empty()) return o_.preconnection.initiate(ctx_, session->handlers(), o_.timeout);
      taps::MessageContext replayable;
      replayable.safely_replayable = true;
      return o_.preconnection.initiate_with_send(ctx_, taps::Message(std::move(first)), std::move(replayable),
                                                 session->handlers(), o_.timeout);
    }();
    if (!connection) {
      log_.error(connection.error().message());
      exit_code_ = exit_code_for_establishment(connection.error().code);
      return;
    }
    session->attach(*connection);
  }

  // --rendezvous: RendezvousDone stands for ready, and is a `rendezvous_done` event.
  taps::Result<taps::Connection> rendezvous(Session& session) {
    auto h = session.handlers();
    auto met = std::make_shared<taps::Connection>();
    h.rendezvous_done = [this, met, ready = std::move(h.ready)] {
      log_.emit("rendezvous_done",
                {{"remote", met->remote_endpoint()}, {"local", met->local_endpoint()}, {"stack", met->stack()}});
      ready();
    };
    h.ready = nullptr;
    auto connection = o_.preconnection.rendezvous(ctx_, std::move(h), o_.timeout);
    if (connection) *met = *connection;
    return connection;
  }

  // --clone N: one connection group; the stop signals abort it.
  void connect_group() {
    auto input = stdin_reader();
    auto output = stdout_writer();
    if (!input || !output) {
      log_.error(fmt::format("cannot set up stdin and stdout: {}", std::strerror(errno)));
      exit_code_ = exit_usage;
      return;
    }
    CloneGroupConfig config{o_.clone, o_.framed(), o_.timeout};
    clone_group_ = std::make_shared<CloneGroup>(ctx_, log_, config, std::move(input), std::move(output),
                                                [this](int code) { done(code); });
    if (auto e = clone_group_->start(o_.preconnection)) {
      log_.error(e->message());
      exit_code_ = exit_code_for_establishment(e->code);
    }
  }

  // --resolve: one JSON object on stdout, nothing connected.
  void resolve() {
    auto error = o_.preconnection.resolve(ctx_, [this](taps::Result<taps::ResolvedEndpoints> resolved) {
      if (!resolved) {
        log_.emit("establishment_error", {{"error", resolved.error().message()}});
        log_.error(resolved.error().message());
        done(exit_code_for_establishment(resolved.error().code));
        return;
      }
      std::fputs((resolved_json(*resolved) + "\n").c_str(), stdout);
      if (std::fflush(stdout) != 0) {
        log_.error(fmt::format("cannot write output: {}", std::strerror(errno)));
        done(exit_connection);
        return;
      }
      done(exit_ok);
    });
    if (error) {
      log_.error(error->message());
      exit_code_ = exit_code_for_establishment(error->code);
    }
  }

  // -l --tls without --cert: a key and certificate made for this run, like ncat -l --ssl.
  // Its pin goes to stderr (and a `certificate` event) so that a client can --pin it.
  bool add_ephemeral_identity(taps::Preconnection& p) const {
    auto identity = taps::EphemeralIdentity::generate(ephemeral_names(), std::chrono::hours(24));
    if (!identity) {
      log_.error(identity.error().message());
      return false;
    }
    bool quic = p.transport_properties().get("multistreaming") == taps::Preference::require;
    log_.warning(fmt::format("no --cert: serving an ephemeral self-signed certificate ({}, valid until {}); "
                             "clients connect with --{} --pin {}",
                             identity->subject(), identity->not_after(), quic ? "quic" : "tls", identity->spki_pin()));
    log_.emit("certificate", {{"subject", identity->subject()},
                              {"not_after", identity->not_after()},
                              {"pin", identity->spki_pin()}});
    p.security_parameters().ephemeral_server_identity = std::move(*identity);
    return true;
  }

  // The listen address when it names this host, the host's name, and localhost.
  std::vector<std::string> ephemeral_names() const {
    std::vector<std::string> names;
    auto add = [&names](std::string name) {
      if (!name.empty() && name.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.:") ==
                               std::string::npos &&
          std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(std::move(name));
      }
    };
    if (o_.host != "0.0.0.0" && o_.host != "::") add(o_.host);
    char host_name[256] = {};
    if (::gethostname(host_name, sizeof host_name - 1) == 0) add(host_name);
    add("localhost");
    return names;
  }

  void listen() {
    if (!o_.keep_open) limit_to_one_ = true;
    taps::Preconnection preconnection = o_.preconnection;
    if (o_.ephemeral_certificate && !add_ephemeral_identity(preconnection)) {
      exit_code_ = exit_usage;
      return;
    }
    taps::ListenerHandlers h;
    h.listening = [this](const std::vector<taps::ListeningEndpoint>& locals) {
      for (const auto& l : locals) log_.emit("listening", {{"local", l.local}, {"stack", l.stack}});
    };
    h.establishment_error = [this](const taps::Error& e) {
      log_.emit("establishment_error", {{"error", e.message()}});
      log_.error(e.message());
      done(exit_code_for_establishment(e.code));
    };
    // A client whose TLS handshake failed is not a connection: say why, keep listening.
    h.soft_error = [this](const taps::Error& e) {
      log_.emit("soft_error", {{"error", e.message()}});
      log_.warning(e.message());
    };
    h.connection_received = [this](taps::Connection c) { return serve(std::move(c)); };
    auto listener = preconnection.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(listener.error().message());
      exit_code_ = exit_code_for_establishment(listener.error().code);
      return;
    }
    listener_ = *listener;
    update_connection_limit();
  }

  // RFC 9622 SetNewConnectionLimit: one connection without -k; with -k, as many as
  // --max-clients minus those being served, so that a crowd waits in the kernel's
  // backlog instead of costing memory here.
  void update_connection_limit() {
    if (o_.mode != Mode::listen || listener_stopped_) return;
    if (limit_to_one_) {
      if (!limit_set_) listener_.set_new_connection_limit(1);
      limit_set_ = true;
      return;
    }
    std::size_t active = sessions_.size();
    listener_.set_new_connection_limit(active >= o_.max_clients ? 0 : o_.max_clients - active);
    if (active >= o_.max_clients && !at_client_limit_) {
      log_.emit("client_limit", {{"max_clients", static_cast<std::int64_t>(o_.max_clients)}});
      if (!warned_client_limit_) {
        log_.warning(fmt::format("serving --max-clients {} connections; more wait until one ends", o_.max_clients));
        warned_client_limit_ = true;
      }
    }
    at_client_limit_ = active >= o_.max_clients;
  }

  taps::ConnectionHandlers serve(taps::Connection c) {
    EventFields received{{"remote", c.remote_endpoint()}, {"local", c.local_endpoint()}, {"stack", c.stack()}};
    add_stream_fields(received, c);
    log_.emit("connection_received", received);
    if (limit_to_one_) stop_listener();
    SessionConfig config;
    config.datagrams = is_udp();
    config.lines = o_.framed();
    config.max_line = o_.max_message;
    apply_line_and_idle_options(config);
    if (config.datagrams && !limit_to_one_) config.peer_idle = udp_peer_idle;
    int child_pid = -1;
    std::shared_ptr<FdReader> input;
    std::shared_ptr<FdWriter> output;
    if (!o_.exec.empty()) {
      std::error_code ec;
      auto child = spawn_shell(o_.exec, ec);  // reaped by the SIGCHLD watcher
      if (ec) {
        log_.error(fmt::format("cannot run '{}': {}", o_.exec, ec.message()));
        c.abort();
        return {};
      }
      input = std::make_shared<FdReader>(ctx_, child.from_child);
      output = std::make_shared<FdWriter>(ctx_, child.to_child);
      config.close_output_at_end = true;
      child_pid = child.pid;
    } else {
      // Several connections (-k) share stdout; only a single one reads stdin.
      config.read_input = limit_to_one_ && !o_.recv_only;
      config.discard_output = o_.send_only;
      config.shared_output = !limit_to_one_;
      if (config.read_input) input = stdin_reader();
      output = config.shared_output ? shared_stdout() : stdout_writer();
      if ((config.read_input && !input) || !output) {
        log_.error(fmt::format("cannot serve {}: {}", c.remote_endpoint(), descriptor_shortage()));
        c.abort();
        if (limit_to_one_) done(exit_connection);
        return {};
      }
    }
    auto session = add_session(config, std::move(input), std::move(output));
    if (child_pid != -1) session->watch_child(child_pid, o_.exec);
    auto handlers = session->handlers();
    session->attach(c);
    session->report_tls();
    session->start();
    return handlers;
  }

  // -z: ports are tried a window at a time and reported in port order: "HOST PORT open"
  // or "HOST PORT closed: why" on stdout, and a `scan` event each.
  static constexpr int scan_window = 16;
  struct ScanResult {
    bool done = false, open = false;
    std::string detail;
    taps::Connection connection;
  };

  void scan_next() {
    while (scan_running_ < scan_window && next_scan_port_ <= o_.scan_last_port) {
      auto port = static_cast<std::uint16_t>(next_scan_port_++);
      ++scan_running_;
      auto pre = o_.preconnection;
      auto remote = pre.remote_endpoints().front();
      pre.remote_endpoints() = {remote.with_port(port)};
      taps::ConnectionHandlers h;
      h.ready = [this, port] { scan_result(port, true, {}); };
      h.establishment_error = [this, port](const taps::Error& e) { scan_result(port, false, e.message()); };
      auto timeout = o_.timeout.value_or(o_.wait.count() > 0 ? o_.wait : std::chrono::milliseconds(5000));
      auto c = pre.initiate(ctx_, std::move(h), timeout);
      if (!c) {
        log_.error(c.error().message());
        done(exit_code_for_establishment(c.error().code));
        return;
      }
      scan_results_[port].connection = *c;
    }
  }

  void scan_result(std::uint16_t port, bool open, std::string detail) {
    auto& r = scan_results_[port];
    r.done = true;
    r.open = open;
    r.detail = std::move(detail);
    r.connection.abort();
    r.connection = taps::Connection();
    --scan_running_;
    // Report in port order what is decided.
    while (!scan_results_.empty() && scan_results_.begin()->second.done) {
      auto [p, result] = std::move(*scan_results_.begin());
      scan_results_.erase(scan_results_.begin());
      any_open_ = any_open_ || result.open;
      std::string line = fmt::format("{} {} {}", o_.host, p, result.open ? "open" : "closed");
      if (!result.open) line += ": " + result.detail;
      std::fputs((line + "\n").c_str(), stdout);
      std::fflush(stdout);
      EventFields fields{{"host", o_.host}, {"port", std::int64_t{p}}, {"result", result.open ? "open" : "closed"}};
      if (!result.open) fields.emplace_back("error", result.detail);
      log_.emit("scan", fields);
    }
    if (scan_running_ == 0 && next_scan_port_ > o_.scan_last_port) {
      done(any_open_ ? exit_ok : exit_establishment);
      return;
    }
    scan_next();
  }

  void apply_line_and_idle_options(SessionConfig& config) const {
    if (o_.datagram_lines) {
      config.datagram_lines = true;
      config.max_line = 65507;
    }
    if (!config.datagrams) config.idle = o_.wait;
  }

  // The first session to end decides the exit code unless -k serves many.
  std::shared_ptr<Session> add_session(SessionConfig config, std::shared_ptr<FdReader> input,
                                       std::shared_ptr<FdWriter> output) {
    auto session = std::make_shared<Session>(ctx_, log_, config, std::move(input), std::move(output));
    Session* raw = session.get();
    session->set_on_done([this, raw](int code) {
      std::erase_if(sessions_, [raw](const auto& s) { return s.get() == raw; });
      if (o_.mode == Mode::connect || limit_to_one_) exit_code_ = code;
      update_connection_limit();
      if (interrupted_ ? sessions_.empty() : exit_code_.has_value()) finish_now();
    });
    sessions_.insert(session);
    update_connection_limit();
    return session;
  }

  void stop_orderly(int signo) {
    interrupted_ = signo;
    stop_listener();
    for (const auto& s : std::vector(sessions_.begin(), sessions_.end())) s->interrupt();
    if (clone_group_) clone_group_->interrupt();
    else if (sessions_.empty()) finish_now();
  }

  void stop_listener() {
    listener_stopped_ = true;
    listener_.stop();
  }

  void reap() {
    for (const auto& exited : reap_children()) {
      for (const auto& s : std::vector(sessions_.begin(), sessions_.end())) {
        if (s->child_pid() == exited.pid) s->child_exited(exited.wait_status);
      }
    }
  }

  void done(int code) {
    if (!exit_code_) exit_code_ = code;
    finish_now();
  }

  void finish_now() {
    if (interrupted_) exit_code_ = 128 + interrupted_;
    ctx_.stop();
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  StopSignals stop_signals_;
  taps::SignalWatch children_;
  taps::Listener listener_;
  std::set<std::shared_ptr<Session>> sessions_;
  std::shared_ptr<CloneGroup> clone_group_;
  std::shared_ptr<FdWriter> shared_stdout_;
  std::map<std::uint16_t, ScanResult> scan_results_;
  unsigned next_scan_port_ = 0;
  int scan_running_ = 0;
  bool any_open_ = false;
  bool limit_to_one_ = false;
  bool limit_set_ = false;
  bool listener_stopped_ = false;
  bool at_client_limit_ = false;
  bool warned_client_limit_ = false;
  int interrupted_ = 0;
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o, EventLog& log, const StdioAtStart& stdio) {
  if (stdio.stdout_closed && (o.print_config || o.exec.empty())) {
    log.error("standard output is closed: nowhere to write what arrives (redirect it to /dev/null to discard it)");
    return exit_usage;
  }
  if (o.print_config) {
    std::fputs((taps::preconnection_to_json(o.preconnection) + "\n").c_str(), stdout);
    return exit_ok;
  }
  Runner runner(o, log);
  return runner.run();
}

}  // namespace taps_cat
