// How the engine reaches the loop behind a public Context; the public headers name no
// Asio type.
#pragma once

#include <asio/io_context.hpp>

#include "taps/context.hpp"

namespace taps {

struct Context::Impl {
  // One thread runs the loop and owns every I/O object, so the reactor needs no
  // locks; the scheduler keeps its lock, which is what makes post() thread-safe.
  asio::io_context io{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
};

namespace detail {

struct ContextAccess {
  static asio::io_context& io(Context& ctx) noexcept { return ctx.impl_->io; }
};

inline asio::io_context& io_context_of(Context& ctx) noexcept { return ContextAccess::io(ctx); }

}  // namespace detail
}  // namespace taps
