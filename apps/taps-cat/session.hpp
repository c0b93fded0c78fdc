// One Connection of taps-cat, pumped to and from a pair of file descriptors
// (stdin/stdout, or the pipes of an -e child), with back-pressure both ways.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "common/event_log.hpp"
#include "common/fd_stream.hpp"
#include "taps/connection.hpp"
#include "taps/context.hpp"
#include "taps/timer.hpp"

namespace taps_cat {

struct SessionConfig {
  bool datagrams = false;            // UDP: every read is one datagram
  bool lines = false;                // a framer: every input line is a message, every message a line
  bool datagram_lines = false;       // --udp --lines: every input line (with its newline) one datagram
  std::chrono::milliseconds idle{0};  // -w on a stream: end (exit 4) after this long without data
  // A UDP peer of a -k listener: forgotten (closed, no error) after this long without a
  // datagram, so that its slot of --max-clients is free again.
  std::chrono::milliseconds peer_idle{0};
  bool discard_output = false;  // --send-only: what arrives is read and dropped
  bool read_input = true;            // false: send nothing, just FIN when the peer ends
  bool close_output_at_end = false;  // -e: the child's stdin gets EOF after the peer's FIN
  // UDP client: close `wait` after our last datagram. A UDP listener runs until stopped.
  bool close_after_input = false;
  std::chrono::milliseconds wait{0};
  // Opportunistic security (--protocols tls,tcp): say so when plain TCP won.
  bool warn_if_plaintext = false;
  // The output is stdout shared by every connection of -k: the runner owns its callbacks
  // and tells each session when it drained.
  bool shared_output = false;
  // With `lines`: the longest input line sent as one message (--max-message).
  std::size_t max_line = SIZE_MAX;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(taps::Context& ctx, const taps::apps::EventLog& log, SessionConfig config,
          std::shared_ptr<taps::apps::FdReader> input, std::shared_ptr<taps::apps::FdWriter> output);

  // Handlers bound to this session (they keep it alive until the connection ends).
  taps::ConnectionHandlers handlers();
  void attach(taps::Connection connection) { connection_ = std::move(connection); }
  // --fast-open: reads stdin once before the connection exists, for InitiateWithSend;
  // `then` gets the bytes (counted as sent by this session), empty at EOF or on an
  // error (the session's own read meets it again). Not called after interrupt().
  void read_first_message(std::function<void(std::vector<std::uint8_t>)> then);
  // Gets the exit code once the connection ended and its output is flushed.
  void set_on_done(std::function<void(int)> on_done) { on_done_ = std::move(on_done); }
  // Start pumping: on ready (connect) or at once (a connection a Listener received).
  void start();
  // A `tls` event with what TLS negotiated and the peer's certificate (-v, --json).
  void report_tls();
  // Signal: abort the connection, stop reading input, flush what already arrived.
  void interrupt();
  // A shared output drained, or failed (`ec`): go on receiving, or end.
  void output_drained();
  void output_failed(std::error_code ec);
  // -e: the session ends only once its command exited (or after a grace period), and a
  // command that failed makes the exit code 3.
  void watch_child(int pid, std::string command);
  int child_pid() const noexcept { return child_pid_; }
  void child_exited(int wait_status);

 private:
  void read_input();
  // Plain TCP between pipes or from a file: the Connection moves the bytes in the
  // kernel (session_kernel_copy.cpp). false: not possible here, pump as usual.
  bool send_input_in_kernel();
  bool receive_output_in_kernel();
  std::uint64_t total_sent() const;
  std::uint64_t total_received() const;
  void send_message(std::vector<std::uint8_t> bytes);
  void send_lines(std::vector<std::uint8_t> bytes);
  bool send_pending_lines();  // false while the send bound holds lines back
  void request_receive();
  void write_output(taps::Message message, bool line = false);
  void peer_ended();
  void our_end_sent();
  void finish(int code);
  void maybe_done();
  void give_up_on_child();
  void activity();
  std::chrono::milliseconds idle_limit() const;
  void wait_idle(std::chrono::steady_clock::duration after);

  const taps::apps::EventLog& log_;
  SessionConfig config_;
  std::shared_ptr<taps::apps::FdReader> input_;
  std::shared_ptr<taps::apps::FdWriter> output_;
  std::function<void(int)> on_done_;
  taps::Connection connection_;
  taps::Timer wait_timer_;
  taps::Timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;

  std::vector<std::uint8_t> partial_line_;  // input after the last newline
  std::vector<std::uint8_t> pending_input_;  // a read not yet cut into lines (send bound reached)
  std::size_t pending_at_ = 0;
  std::deque<std::size_t> unsent_sizes_;  // sizes of messages awaiting their sent event
  std::size_t unsent_bytes_ = 0;
  std::uint64_t bytes_sent_ = 0, bytes_received_ = 0;
  bool reading_input_ = false;
  bool output_in_kernel_ = false;
  bool input_ended_ = false;
  bool final_queued_ = false;
  int receives_open_ = 0;  // receive() calls not yet answered
  bool peer_ended_ = false;
  std::optional<int> exit_code_;
  bool reported_ = false;
  int child_pid_ = -1;  // -e: running until child_exited()
  std::string child_command_;
  taps::Timer child_grace_;
  bool child_grace_armed_ = false;
};

}  // namespace taps_cat
