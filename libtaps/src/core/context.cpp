#include "taps/context.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace taps {

struct Context::Impl {
  // One thread runs the loop and owns every I/O object, so the reactor needs no
  // locks; the scheduler keeps its lock, which is what makes post() thread-safe.
  asio::io_context io{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
};

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

void Context::run() { impl_->io.run(); }
void Context::stop() { impl_->io.stop(); }
void Context::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }
asio::io_context& Context::io_context() noexcept { return impl_->io; }

}  // namespace taps
