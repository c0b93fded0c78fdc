// Readiness of a file descriptor (a pipe, a terminal, a socket the application owns) on
// a Context's event loop, for applications that read and write descriptors themselves
// beside their Connections: stdin, stdout, the pipes of a child process.
//
// The application reads and writes the descriptor itself and waits only after a read
// or write failed with EAGAIN: readiness is not data, and a wait costs a system call.
// A regular file (and /dev/null) cannot be watched by the kernel and never blocks:
// for those, a wait completes at once (posted).
#pragma once

#include <functional>
#include <memory>

#include "taps/context.hpp"

namespace taps {

class FdWatch {
 public:
  // Takes ownership of `fd` (pass a dup() of a standard descriptor) and makes it
  // non-blocking: a flag of the open file, which its duplicates share.
  FdWatch(Context& ctx, int fd);
  // Cancels the waits and closes the descriptor. Must happen before the Context goes.
  ~FdWatch();
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;

  // Calls `fn` once when the descriptor is readable (writable), or has an error or a
  // hang-up: the next read or write tells which. One wait of each kind at a time; a
  // second replaces the first, whose function is never called.
  void wait_readable(std::function<void()> fn);
  void wait_writable(std::function<void()> fn);
  // Neither pending function is called any more. Like Timer::cancel, the functions
  // are destroyed later on the loop thread.
  void cancel();
  // Cancels the waits and closes the descriptor now; fd() is -1 from then on.
  void close();
  // The descriptor, for read(2), write(2), or handing it to Connection::send_from.
  int fd() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace taps
