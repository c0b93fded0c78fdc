// One Connection of taps-cat, pumped to and from a pair of file descriptors
// (stdin/stdout, or the pipes of an -e child), with back-pressure both ways.
#pragma once

#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>

#include "common/event_log.hpp"
#include "common/fd_stream.hpp"
#include "taps/connection.hpp"

namespace taps_cat {

struct SessionConfig {
  bool datagrams = false;            // UDP: every read is one datagram
  bool lines = false;                // a framer: every input line is a message, every message a line
  bool read_input = true;            // false: send nothing, just FIN when the peer ends
  bool close_output_at_end = false;  // -e: the child's stdin gets EOF after the peer's FIN
  // UDP client: close `wait` after our last datagram. A UDP listener runs until stopped.
  bool close_after_input = false;
  std::chrono::milliseconds wait{0};
  // Opportunistic security (--protocols tls,tcp): say so when plain TCP won.
  bool warn_if_plaintext = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, const taps::apps::EventLog& log, SessionConfig config,
          std::shared_ptr<taps::apps::FdReader> input, std::shared_ptr<taps::apps::FdWriter> output);

  // Handlers bound to this session (they keep it alive until the connection ends).
  taps::ConnectionHandlers handlers();
  void attach(taps::Connection connection) { connection_ = std::move(connection); }
  // Gets the exit code once the connection ended and its output is flushed.
  void set_on_done(std::function<void(int)> on_done) { on_done_ = std::move(on_done); }
  // Start pumping: on ready (connect) or at once (a connection a Listener received).
  void start();
  // Signal: abort the connection, stop reading input, flush what already arrived.
  void interrupt();

 private:
  void read_input();
  void send_message(std::vector<std::uint8_t> bytes);
  void send_lines(const std::vector<std::uint8_t>& bytes);
  void request_receive();
  void write_output(taps::Message message, bool line = false);
  void peer_ended();
  void our_end_sent();
  void finish(int code);
  void maybe_done();

  asio::io_context& io_;
  const taps::apps::EventLog& log_;
  SessionConfig config_;
  std::shared_ptr<taps::apps::FdReader> input_;
  std::shared_ptr<taps::apps::FdWriter> output_;
  std::function<void(int)> on_done_;
  taps::Connection connection_;
  asio::steady_timer wait_timer_;

  std::vector<std::uint8_t> partial_line_;  // input after the last newline
  std::deque<std::size_t> unsent_sizes_;  // sizes of messages awaiting their sent event
  std::size_t unsent_bytes_ = 0;
  std::uint64_t bytes_sent_ = 0, bytes_received_ = 0;
  bool reading_input_ = false;
  bool input_ended_ = false;
  bool final_queued_ = false;
  int receives_open_ = 0;  // receive() calls not yet answered
  bool peer_ended_ = false;
  std::optional<int> exit_code_;
  bool reported_ = false;
};

}  // namespace taps_cat
