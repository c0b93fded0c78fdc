#include "taps-cat/run.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <set>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"
#include "taps-cat/child.hpp"
#include "taps-cat/session.hpp"
#include "taps/config.hpp"
#include "taps/preconnection.hpp"

namespace taps_cat {
namespace {

using namespace taps::apps;

// How long a signal leaves for output that already arrived to reach stdout.
constexpr auto signal_flush_time = std::chrono::seconds(2);

class Runner {
 public:
  Runner(const Options& o, const EventLog& log)
      : o_(o), log_(log), io_(ctx_.io_context()), signals_(io_, SIGINT, SIGTERM), children_(io_, SIGCHLD),
        flush_deadline_(io_) {}

  int run() {
    watch_signals();
    if (o_.mode == Mode::connect) connect();
    else listen();
    if (!exit_code_) io_.run();
    return exit_code_.value_or(exit_ok);
  }

 private:
  bool is_udp() const { return o_.preconnection.transport_properties().get("reliability") == taps::Preference::prohibit; }

  std::shared_ptr<FdReader> stdin_reader() { return std::make_shared<FdReader>(io_, ::dup(STDIN_FILENO)); }
  std::shared_ptr<FdWriter> stdout_writer() { return std::make_shared<FdWriter>(io_, ::dup(STDOUT_FILENO)); }

  void connect() {
    SessionConfig config;
    config.datagrams = is_udp();
    config.lines = o_.framed();
    config.close_after_input = true;
    config.wait = o_.wait;
    config.warn_if_plaintext = o_.preconnection.security_parameters().opportunistic_security;
    auto session = add_session(config, stdin_reader(), stdout_writer());
    auto connection = o_.preconnection.initiate(ctx_, session->handlers());
    if (!connection) {
      log_.error(connection.error().message());
      exit_code_ = exit_code_for_establishment(connection.error().code);
      return;
    }
    session->attach(*connection);
  }

  void listen() {
    if (!o_.keep_open) limit_to_one_ = true;
    taps::ListenerHandlers h;
    h.listening = [this](const std::vector<std::string>& locals) {
      for (const auto& l : locals) log_.emit("listening", {{"local", l}});
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
    auto listener = o_.preconnection.listen(ctx_, std::move(h));
    if (!listener) {
      log_.error(listener.error().message());
      exit_code_ = exit_code_for_establishment(listener.error().code);
      return;
    }
    listener_ = *listener;
    if (limit_to_one_) listener_.set_new_connection_limit(1);
  }

  taps::ConnectionHandlers serve(taps::Connection c) {
    log_.emit("connection_received", {{"remote", c.remote_endpoint()}, {"local", c.local_endpoint()}});
    if (limit_to_one_) listener_.stop();
    SessionConfig config;
    config.datagrams = is_udp();
    config.lines = o_.framed();
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
      input = std::make_shared<FdReader>(io_, child.from_child);
      output = std::make_shared<FdWriter>(io_, child.to_child);
      config.close_output_at_end = true;
    } else {
      // Several connections (-k) share stdout; only a single one reads stdin.
      config.read_input = limit_to_one_;
      if (config.read_input) input = stdin_reader();
      output = stdout_writer();
    }
    auto session = add_session(config, std::move(input), std::move(output));
    auto handlers = session->handlers();
    session->attach(c);
    session->start();
    return handlers;
  }

  // The first session to end decides the exit code unless -k serves many.
  std::shared_ptr<Session> add_session(SessionConfig config, std::shared_ptr<FdReader> input,
                                       std::shared_ptr<FdWriter> output) {
    auto session = std::make_shared<Session>(io_, log_, config, std::move(input), std::move(output));
    Session* raw = session.get();
    session->set_on_done([this, raw](int code) {
      std::erase_if(sessions_, [raw](const auto& s) { return s.get() == raw; });
      if (o_.mode == Mode::connect || limit_to_one_) exit_code_ = code;
      if (interrupted_ ? sessions_.empty() : exit_code_.has_value()) finish_now();
    });
    sessions_.insert(session);
    return session;
  }

  void watch_signals() {
    signals_.async_wait([this](std::error_code ec, int signo) {
      if (ec) return;
      interrupted_ = signo;
      listener_.stop();
      for (const auto& s : sessions_) s->interrupt();
      flush_deadline_.expires_after(signal_flush_time);
      flush_deadline_.async_wait([this](std::error_code ec) {
        if (!ec) finish_now();
      });
      if (sessions_.empty()) finish_now();
    });
    reap();
  }

  void reap() {
    children_.async_wait([this](std::error_code ec, int) {
      if (ec) return;
      reap_children();
      reap();
    });
  }

  void done(int code) {
    if (!exit_code_) exit_code_ = code;
    finish_now();
  }

  void finish_now() {
    if (interrupted_) exit_code_ = 128 + interrupted_;
    io_.stop();
  }

  const Options& o_;
  const EventLog& log_;
  taps::Context ctx_;
  asio::io_context& io_;
  asio::signal_set signals_;
  asio::signal_set children_;
  asio::steady_timer flush_deadline_;
  taps::Listener listener_;
  std::set<std::shared_ptr<Session>> sessions_;
  bool limit_to_one_ = false;
  int interrupted_ = 0;
  std::optional<int> exit_code_;
};

}  // namespace

int run(const Options& o) {
  EventLog log("taps-cat", o.verbosity);
  for (const auto& w : o.warnings) log.warning(w);
  if (o.print_config) {
    std::fputs((taps::preconnection_to_json(o.preconnection) + "\n").c_str(), stdout);
    return exit_ok;
  }
  // A closed stdout must be an error we report, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  StdioFlagsGuard guard;
  grow_pipe(STDIN_FILENO, 1 << 20);
  grow_pipe(STDOUT_FILENO, 1 << 20);
  Runner runner(o, log);
  int code = runner.run();
  hold_stop_signals();
  return code;
}

}  // namespace taps_cat
