// Asynchronous reading and writing of plain file descriptors (stdin, stdout, pipes
// to a child) on the engine's event loop: non-blocking system calls, and a
// taps::FdWatch wait when one would block. Regular files work too: they never block.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <system_error>
#include <vector>

#include "taps/context.hpp"
#include "taps/fd_watch.hpp"
#include "taps/message.hpp"

namespace taps::apps {

// Restores the file status flags (O_NONBLOCK) of stdin and stdout on destruction:
// they are shared with the shell and the other processes of the pipeline.
class StdioFlagsGuard {
 public:
  StdioFlagsGuard();
  ~StdioFlagsGuard();
  StdioFlagsGuard(const StdioFlagsGuard&) = delete;
  StdioFlagsGuard& operator=(const StdioFlagsGuard&) = delete;

 private:
  int stdin_flags_;
  int stdout_flags_;
};

// Grows the kernel buffer of `fd` to `bytes` when it is a pipe. A 64 KiB pipe costs
// a context switch per 64 KiB; bulk transfers through a shell pipeline run faster with
// fewer. Other descriptors are left alone; failure (a capped pipe-max-size) is harmless.
void grow_pipe(int fd, int bytes);

// Both are held by shared_ptr: a pending operation keeps its object alive. Their
// callbacks are never called from inside the call that started the operation.
class FdReader : public std::enable_shared_from_this<FdReader> {
 public:
  using Done = std::function<void(std::error_code, std::vector<std::uint8_t>)>;

  // Takes ownership of `fd` (pass a dup() of a standard descriptor).
  FdReader(taps::Context& ctx, int fd);

  // Reads at most `max` bytes; `done` gets them (none at the end of the input), or an
  // error.
  void read(std::size_t max, Done done);
  void close();
  // The descriptor, for handing it to Connection::send_from (-1 once closed).
  int native_handle() const noexcept { return watch_.fd(); }

 private:
  // on_loop: called as an event of the loop, so `done` may be called directly; else
  // from the caller's read(), and `done` is posted.
  void attempt(std::size_t max, Done done, bool on_loop);

  taps::Context& ctx_;
  taps::FdWatch watch_;
  // Not zero-filled: a short read touches only the pages it fills.
  std::unique_ptr<std::uint8_t[]> buffer_;
  std::size_t capacity_ = 0;
};

class FdWriter : public std::enable_shared_from_this<FdWriter> {
 public:
  // Takes ownership of `fd`.
  FdWriter(taps::Context& ctx, int fd);

  // Queues bytes; they are written in order. `on_error` is called once on failure
  // (EPIPE when the reader went away) and later writes are dropped.
  void write(Message bytes);
  // Queues bytes followed by a newline, without growing the message for it.
  void write_line(Message bytes);
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  // Called each time the queue becomes empty.
  std::function<void()> on_drained;
  std::function<void(std::error_code)> on_error;
  // Closes the descriptor once everything queued is written (the reader sees EOF).
  void close_when_drained();
  // Stops at once: drops what is queued and closes the descriptor.
  void close();
  // The descriptor, for handing it to Connection::receive_into (-1 once closed).
  int native_handle() const noexcept { return watch_.fd(); }

 private:
  void write_next();
  // Writes what is in flight until it is all written or the descriptor is full;
  // on_loop as in FdReader::attempt.
  void write_some(bool on_loop);
  void written(std::error_code ec);

  struct Entry {
    Message bytes;
    bool newline;
    std::size_t size() const noexcept { return bytes.size() + (newline ? 1 : 0); }
  };
  void push(Message bytes, bool newline);

  taps::Context& ctx_;
  taps::FdWatch watch_;
  std::deque<Entry> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t in_flight_ = 0;  // messages at the front of queue_ being written
  std::vector<std::uint8_t> staging_;
  // What is being written: the front message and its newline, or staging_.
  const std::uint8_t* out_ = nullptr;
  std::size_t out_size_ = 0;
  bool out_newline_ = false;
  std::size_t out_done_ = 0;
  bool writing_ = false;
  bool failed_ = false;
  bool close_when_drained_ = false;
};

}  // namespace taps::apps
