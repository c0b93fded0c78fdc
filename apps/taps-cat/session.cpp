#include "taps-cat/session.hpp"

#include <fmt/format.h>

#include <sys/wait.h>

#include <algorithm>

#include "common/exit_codes.hpp"
#include "taps-cat/stream_events.hpp"

namespace taps_cat {
namespace {

using namespace taps::apps;

// Reads and receives of 256 KiB keep bulk transfers at few system calls; at most
// 1 MiB waits in each direction, so memory stays flat whatever the transfer size.
constexpr std::size_t stream_chunk = 256 * 1024;
constexpr std::size_t max_udp_payload = 65507;
constexpr std::size_t buffered_limit = 1024 * 1024;
// receive() calls kept open for messages.
constexpr int message_receive_window = 32;
// What a queued message costs beyond its payload (its context, the queue entry): counted
// so that a flood of empty messages is bounded like a flood of bytes.
constexpr std::size_t message_overhead = 128;
// How long a finished session waits for its -e command to exit.
constexpr auto child_grace_time = std::chrono::seconds(2);

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return fmt::format("ended with wait status {}", status);
}

}  // namespace

Session::Session(taps::Context& ctx, const EventLog& log, SessionConfig config,
                 std::shared_ptr<FdReader> input, std::shared_ptr<FdWriter> output)
    : log_(log),
      config_(config),
      input_(std::move(input)),
      output_(std::move(output)),
      wait_timer_(ctx),
      idle_timer_(ctx),
      child_grace_(ctx) {}

taps::ConnectionHandlers Session::handlers() {
  auto self = shared_from_this();
  taps::ConnectionHandlers h;
  h.ready = [self] {
    self->report_tls();
    self->start();
  };
  h.race = [self](const taps::RaceEvent& e) {
    EventFields fields;
    switch (e.kind) {
      case taps::RaceEvent::Kind::resolve:
        fields = {{"name", e.remote}, {"query", e.query}, {"addresses", e.detail}};
        break;
      case taps::RaceEvent::Kind::attempt:
      case taps::RaceEvent::Kind::cancelled:
        fields = {{"id", std::int64_t{e.attempt_id}}, {"stack", e.stack}, {"remote", e.remote}};
        break;
      case taps::RaceEvent::Kind::attempt_failed:
        fields = {{"id", std::int64_t{e.attempt_id}}, {"stack", e.stack}, {"remote", e.remote}, {"error", e.detail}};
        break;
      case taps::RaceEvent::Kind::ready:
        fields = {{"id", std::int64_t{e.attempt_id}}, {"stack", e.stack}, {"remote", e.remote}, {"local", e.local}};
        if (self->config_.warn_if_plaintext && e.stack == "tcp") {
          self->log_.warning(fmt::format("TLS could not be established; connected to {} over plain TCP "
                                         "(--protocols tls,tcp allows it): nothing is encrypted",
                                         e.remote));
        }
        break;
    }
    if (!e.interface_name.empty()) fields.emplace_back("interface", e.interface_name);
    self->log_.emit(taps::to_string(e.kind), fields, e.at);
  };
  h.establishment_error = [self](const taps::Error& e) {
    self->log_.emit("establishment_error", {{"error", e.message()}});
    self->log_.error(e.message());
    self->finish(exit_code_for_establishment(e.code));
  };
  h.sent = [self](const taps::MessageContext& ctx) {
    self->activity();
    self->unsent_bytes_ -= self->unsent_sizes_.front() + message_overhead;
    self->bytes_sent_ += self->unsent_sizes_.front();
    if ((self->config_.datagrams || self->config_.lines) && !ctx.final && self->log_.enabled()) {
      self->log_.emit("sent", {{"bytes", static_cast<std::int64_t>(self->unsent_sizes_.front())}});
    }
    self->unsent_sizes_.pop_front();
    if (ctx.final) {
      self->our_end_sent();
      return;
    }
    self->read_input();
  };
  h.send_error = [self](const taps::MessageContext&, const taps::Error& e) {
    self->log_.error(fmt::format("send failed: {}", e.message()));
    self->connection_.abort();
    self->finish(exit_connection);
  };
  h.received = [self](taps::Message m, taps::MessageContext ctx) {
    --self->receives_open_;
    self->activity();
    if (self->log_.enabled()) {
      self->log_.emit("received", {{"bytes", static_cast<std::int64_t>(m.size())}, {"remote", ctx.remote_endpoint}});
    }
    self->write_output(std::move(m), self->config_.lines);
    self->request_receive();
  };
  h.received_partial = [self](taps::Message m, taps::MessageContext, bool end_of_message) {
    --self->receives_open_;
    self->activity();
    self->write_output(std::move(m));
    if (end_of_message) {
      self->peer_ended();
    } else {
      self->request_receive();
    }
  };
  h.closed = [self] {
    emit_statistics(self->log_, self->connection_);
    EventFields fields{{"bytes_sent", static_cast<std::int64_t>(self->total_sent())},
                       {"bytes_received", static_cast<std::int64_t>(self->total_received())}};
    add_stream_fields(fields, self->connection_);
    self->log_.emit("closed", fields);
    self->finish(exit_ok);
  };
  h.connection_error = [self](const taps::Error& e) {
    emit_statistics(self->log_, self->connection_);
    EventFields fields{{"error", e.message()}};
    add_stream_fields(fields, self->connection_);
    self->log_.emit("connection_error", fields);
    if (e.code != taps::errc::connection_aborted) self->log_.error(e.message());
    self->finish(exit_code_for_connection(e.code));
  };
  h.soft_error = [self](const taps::Error& e) { self->log_.emit("soft_error", {{"error", e.message()}}); };
  // Watching the path costs a netlink socket: only when someone reads the events.
  if (log_.enabled()) {
    h.path_change = [self](const taps::PathChange& c) {
      self->log_.emit("path_change", {{"local", c.local}, {"interface", c.interface_name}, {"reason", c.reason}});
    };
  }
  // Only receive_into reports one: the output went away.
  h.receive_error = [self](const taps::Error& e) {
    if (!self->output_in_kernel_) return;
    self->log_.error(fmt::format("cannot write output: {}", e.message()));
    self->output_failed(e.code);
  };
  return h;
}

void Session::start() {
  if (!config_.shared_output) {
    std::weak_ptr<Session> weak = shared_from_this();
    output_->on_drained = [weak] {
      if (auto self = weak.lock()) self->output_drained();
    };
    output_->on_error = [weak](std::error_code ec) {
      if (auto self = weak.lock()) {
        self->log_.error(fmt::format("cannot write output: {}", ec.message()));
        self->output_failed(ec);
      }
    };
  }
  if (config_.read_input && !send_input_in_kernel()) read_input();
  if (!receive_output_in_kernel()) request_receive();
  activity();
}

// -w on a stream: the connection ends once nothing moved either way for that long (a
// stalled peer must not hold taps-cat for ever).
// Called for every message: it only notes the time. One timer runs per idle period and,
// when it fires early because data moved meanwhile, waits for the rest.
void Session::activity() {
  if (exit_code_ || idle_limit().count() == 0) return;
  last_activity_ = std::chrono::steady_clock::now();
  if (!idle_timer_.pending()) wait_idle(idle_limit());
}

// UDP peers of -k are forgotten after peer_idle; -w on a stream ends it (exit 4).
std::chrono::milliseconds Session::idle_limit() const {
  if (config_.datagrams) return config_.peer_idle;
  return config_.idle;
}

void Session::wait_idle(std::chrono::steady_clock::duration after) {
  idle_timer_.start(after, [weak = std::weak_ptr<Session>(shared_from_this())] {
    auto self = weak.lock();
    if (!self || self->exit_code_) return;
    auto quiet = std::chrono::steady_clock::now() - self->last_activity_;
    if (quiet < self->idle_limit()) {
      self->wait_idle(self->idle_limit() - quiet);
      return;
    }
    if (self->config_.datagrams) {
      self->connection_.close();
      return;
    }
    self->log_.error(fmt::format("no data either way for {:.3g} s (-w); giving up",
                                 std::chrono::duration<double>(self->config_.idle).count()));
    self->connection_.abort();
    self->finish(exit_timeout);
  });
}

void Session::report_tls() {
  if (!log_.enabled()) return;
  auto info = connection_.tls_info();
  if (!info) return;
  EventFields fields{{"version", info->version}, {"cipher", info->cipher}, {"group", info->group},
                     {"alpn", info->alpn}, {"resumed", info->resumed}};
  if (!info->peer_subject.empty()) {
    fields.insert(fields.end(), {{"peer_subject", info->peer_subject},
                                 {"peer_issuer", info->peer_issuer},
                                 {"peer_not_before", info->peer_not_before},
                                 {"peer_not_after", info->peer_not_after},
                                 {"peer_pin", info->peer_spki_pin}});
  }
  log_.emit("tls", fields);
}

void Session::output_drained() {
  request_receive();
  maybe_done();
}

void Session::output_failed(std::error_code) {
  exit_code_ = exit_connection;
  connection_.abort();
}

void Session::watch_child(int pid, std::string command) {
  child_pid_ = pid;
  child_command_ = std::move(command);
}

void Session::child_exited(int wait_status) {
  child_pid_ = -1;
  child_grace_.cancel();
  bool failed = !WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0;
  std::string how = describe_wait_status(wait_status);
  EventFields fields{{"command", child_command_}, {"status", how}};
  if (WIFEXITED(wait_status)) fields.emplace_back("exit_status", std::int64_t{WEXITSTATUS(wait_status)});
  if (WIFSIGNALED(wait_status)) fields.emplace_back("signal", std::int64_t{WTERMSIG(wait_status)});
  log_.emit("exec_exit", fields);
  if (failed) {
    log_.error(fmt::format("command '{}' {}", child_command_, how));
    if (!exit_code_ || *exit_code_ == exit_ok) exit_code_ = exit_connection;
  }
  maybe_done();
}

// A command that ignores the end of its input must not keep taps-cat running for ever.
void Session::give_up_on_child() {
  if (child_pid_ == -1) return;
  log_.warning(fmt::format("command '{}' (pid {}) is still running; not waiting for it", child_command_, child_pid_));
  child_pid_ = -1;
  maybe_done();
}

void Session::interrupt() {
  if (input_) input_->close();
  input_ended_ = true;
  connection_.abort();
}

void Session::read_input() {
  if (!config_.read_input || !input_ || reading_input_ || input_ended_) return;
  if (!pending_input_.empty() && !send_pending_lines()) return;
  if (input_ended_ || unsent_bytes_ >= buffered_limit) return;
  reading_input_ = true;
  std::size_t chunk = config_.datagrams ? max_udp_payload : stream_chunk;
  input_->read(chunk, [self = shared_from_this()](std::error_code ec, std::vector<std::uint8_t> bytes) {
    self->reading_input_ = false;
    if (self->input_ended_) return;
    if (ec || bytes.empty()) {
      self->input_ended_ = true;
      if (ec) self->log_.error(fmt::format("cannot read input: {}", ec.message()));
      if (!self->partial_line_.empty()) self->send_message(std::move(self->partial_line_));
      taps::MessageContext ctx;
      ctx.final = true;
      self->final_queued_ = true;
      self->unsent_sizes_.push_back(0);
      self->connection_.send(taps::Message{}, std::move(ctx));
      return;
    }
    if (self->config_.lines || self->config_.datagram_lines) {
      self->send_lines(std::move(bytes));
    } else {
      self->send_message(std::move(bytes));
    }
    self->read_input();
  });
}

void Session::read_first_message(std::function<void(std::vector<std::uint8_t>)> then) {
  std::size_t chunk = config_.datagrams ? max_udp_payload : stream_chunk;
  input_->read(chunk, [self = shared_from_this(), then = std::move(then)](std::error_code ec, std::vector<std::uint8_t> bytes) {
    if (self->input_ended_) return self->finish(exit_connection);  // interrupted: no connection to wait for
    if (ec) bytes.clear();
    if (!bytes.empty()) {
      self->unsent_sizes_.push_back(bytes.size());
      self->unsent_bytes_ += bytes.size() + message_overhead;
    }
    then(std::move(bytes));
  });
}

void Session::send_message(std::vector<std::uint8_t> bytes) {
  unsent_sizes_.push_back(bytes.size());
  unsent_bytes_ += bytes.size() + message_overhead;
  connection_.send(taps::Message(std::move(bytes)));
}

// Takes one read of input lines. Lines are sent while less than the bound waits to be
// sent; the rest waits here, so that a read of 256 KiB of empty lines cannot queue 256 Ki
// messages at once.
void Session::send_lines(std::vector<std::uint8_t> bytes) {
  pending_input_ = std::move(bytes);
  pending_at_ = 0;
  send_pending_lines();
}

bool Session::send_pending_lines() {
  // A framer adds its own delimiter; a datagram per line keeps the newline.
  std::ptrdiff_t keep = config_.lines ? 0 : 1;
  auto end = pending_input_.end();
  while (pending_at_ < pending_input_.size()) {
    if (unsent_bytes_ >= buffered_limit) return false;
    auto begin = pending_input_.begin() + static_cast<std::ptrdiff_t>(pending_at_);
    auto newline = std::find(begin, end, '\n');
    if (newline == end) break;
    if (partial_line_.empty()) {
      send_message(std::vector<std::uint8_t>(begin, newline + keep));
    } else {
      partial_line_.insert(partial_line_.end(), begin, newline + keep);
      send_message(std::move(partial_line_));
      partial_line_.clear();
    }
    pending_at_ = static_cast<std::size_t>(newline + 1 - pending_input_.begin());
  }
  partial_line_.insert(partial_line_.end(), pending_input_.begin() + static_cast<std::ptrdiff_t>(pending_at_), end);
  pending_input_.clear();
  pending_at_ = 0;
  if (partial_line_.size() > config_.max_line) {
    log_.error(config_.lines ? fmt::format("an input line is longer than --max-message ({} bytes); it cannot be one message",
                                           config_.max_line)
                             : fmt::format("an input line is longer than one datagram can carry ({} bytes)", config_.max_line));
    input_ended_ = true;
    partial_line_.clear();
    connection_.abort();
    finish(exit_connection);
  }
  return true;
}

void Session::request_receive() {
  // Messages (datagrams, framed) are small and many: with several receives open, a
  // burst is delivered in one turn of the event loop. A byte stream needs only one.
  int window = config_.datagrams || config_.lines ? message_receive_window : 1;
  while (receives_open_ < window && !peer_ended_ && output_->queued_bytes() < buffered_limit) {
    ++receives_open_;
    connection_.receive(1, config_.datagrams ? max_udp_payload : stream_chunk);
  }
}

void Session::write_output(taps::Message message, bool line) {
  bytes_received_ += message.size();
  if (config_.discard_output) return;
  if (line) {
    output_->write_line(std::move(message));
  } else {
    output_->write(std::move(message));
  }
}

void Session::peer_ended() {
  peer_ended_ = true;
  if (config_.close_output_at_end) output_->close_when_drained();
  // Without input of our own, the peer's end is ours too.
  if (!config_.read_input && !final_queued_) {
    final_queued_ = true;
    taps::MessageContext ctx;
    ctx.final = true;
    unsent_sizes_.push_back(0);
    connection_.send(taps::Message{}, std::move(ctx));
  }
}

// UDP has no FIN: after our last datagram, wait for replies (--wait), then close.
void Session::our_end_sent() {
  if (!config_.datagrams || !config_.close_after_input) return;
  wait_timer_.start(config_.wait, [self = shared_from_this()] { self->connection_.close(); });
}

void Session::finish(int code) {
  if (!exit_code_) exit_code_ = code;
  wait_timer_.cancel();
  idle_timer_.cancel();
  if (input_) input_->close();
  maybe_done();
}

void Session::maybe_done() {
  if (reported_ || !exit_code_ || output_->queued_bytes() > 0) return;
  if (child_pid_ != -1) {
    if (child_grace_armed_) return;
    child_grace_armed_ = true;
    child_grace_.start(child_grace_time, [weak = std::weak_ptr<Session>(shared_from_this())] {
      if (auto self = weak.lock()) self->give_up_on_child();
    });
    return;
  }
  reported_ = true;
  if (!config_.shared_output) {
    output_->on_drained = nullptr;
    output_->on_error = nullptr;
  }
  // The Connection's handlers hold this session until its terminal event has run; the
  // loop may stop before that (an abort decides the exit code at once), so the session
  // lets go of the Connection here, or the two would keep each other alive.
  connection_ = taps::Connection();
  auto done = std::move(on_done_);
  if (done) done(*exit_code_);
}

}  // namespace taps_cat
