// The engine's event loop, run on one thread. Every event of every Connection,
// Listener, Timer, FdWatch and SignalWatch made with a Context runs on the thread in
// run(). The public API names no type of the loop's implementation: applications do
// their own I/O on the same loop through Timer (timer.hpp), FdWatch (fd_watch.hpp) and
// SignalWatch (signal_watch.hpp), and reach it from other threads with post().
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace taps {

namespace detail {
struct ContextAccess;
}

class Context {
 public:
  Context();
  // Objects made with this Context (Connections, Listeners, Timers, watches) must be
  // gone first.
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Runs events until there is no more work or stop() is called. May be called again
  // after it returned: it then runs the events that came since.
  void run();
  // Like run(), but returns after `limit` at the latest. true: it ended before the
  // limit (stop() or no more work); false: the limit passed first.
  bool run_for(std::chrono::steady_clock::duration limit);
  // Runs the events that are ready now, without waiting for more (tests use it to let
  // what one stop() cut short finish its turn).
  void poll();
  // Makes run() return as soon as possible. Safe from any thread.
  void stop();
  // Runs `fn` on the event loop thread, never from inside this call. Safe from any
  // thread: the only way other threads reach the engine.
  void post(std::function<void()> fn);

 private:
  friend struct detail::ContextAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taps
