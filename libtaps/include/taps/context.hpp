// The engine's event loop: one asio::io_context run on one thread. Every event of
// every Connection and Listener made with a Context runs on the thread in run().
#pragma once

#include <functional>
#include <memory>

namespace asio {
class io_context;
}

namespace taps {

class Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Runs events until there is no more work or stop() is called.
  void run();
  // Makes run() return as soon as possible. Safe from any thread.
  void stop();
  // Runs `fn` on the event loop thread. Safe from any thread: the only way other
  // threads reach the engine.
  void post(std::function<void()> fn);

  // The io_context, for applications that do their own I/O (stdin, signals) on the
  // same loop. Include <asio.hpp> to use it.
  asio::io_context& io_context() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taps
