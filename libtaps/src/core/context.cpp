#include "taps/context.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace taps {

struct Context::Impl {
  asio::io_context io{1};  // one thread: lets Asio skip its internal locking
};

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

void Context::run() { impl_->io.run(); }
void Context::stop() { impl_->io.stop(); }
void Context::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }
asio::io_context& Context::io_context() noexcept { return impl_->io; }

}  // namespace taps
