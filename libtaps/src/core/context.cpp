#include "taps/context.hpp"

#include <asio/post.hpp>

#include "core/context_access.hpp"

namespace taps {

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

// Each run leaves the loop restarted, so that a later run() works, while a stop() that
// comes before that run (say from another thread) still ends it at once.
void Context::run() {
  impl_->io.run();
  impl_->io.restart();
}

bool Context::run_for(std::chrono::steady_clock::duration limit) {
  impl_->io.run_for(limit);
  bool ended = impl_->io.stopped();
  impl_->io.restart();
  return ended;
}

void Context::poll() {
  impl_->io.poll();
  impl_->io.restart();
}

void Context::stop() { impl_->io.stop(); }
void Context::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

}  // namespace taps
