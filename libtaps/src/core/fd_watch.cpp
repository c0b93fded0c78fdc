#include "taps/fd_watch.hpp"

#include <asio/error.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <fcntl.h>

#include <cstdint>

#include "core/context_access.hpp"

namespace taps {

// As with Timer: handlers hold a weak reference, and a generation per direction tells
// a handler queued before a cancel that it is stale. The descriptor stays an Asio
// descriptor so that closing it deregisters it from epoll first: a duplicate of the
// same open file (stdin's) would otherwise keep reporting events for it.
struct FdWatch::Impl {
  Impl(asio::io_context& io, int fd) : descriptor(io, fd) {}
  asio::posix::stream_descriptor descriptor;
  std::uint64_t generation[2] = {0, 0};

  static void wait(const std::shared_ptr<Impl>& impl, asio::posix::descriptor_base::wait_type type,
                   std::function<void()> fn);
};

namespace {

int direction(asio::posix::descriptor_base::wait_type type) {
  return type == asio::posix::descriptor_base::wait_read ? 0 : 1;
}

}  // namespace

FdWatch::FdWatch(Context& ctx, int fd) : impl_(std::make_shared<Impl>(detail::io_context_of(ctx), fd)) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags != -1 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

FdWatch::~FdWatch() { close(); }

void FdWatch::wait_readable(std::function<void()> fn) {
  Impl::wait(impl_, asio::posix::descriptor_base::wait_read, std::move(fn));
}

void FdWatch::wait_writable(std::function<void()> fn) {
  Impl::wait(impl_, asio::posix::descriptor_base::wait_write, std::move(fn));
}

void FdWatch::cancel() {
  ++impl_->generation[0];
  ++impl_->generation[1];
  std::error_code ignored;
  impl_->descriptor.cancel(ignored);
}

void FdWatch::close() {
  ++impl_->generation[0];
  ++impl_->generation[1];
  std::error_code ignored;
  impl_->descriptor.close(ignored);
}

int FdWatch::fd() const noexcept { return impl_->descriptor.is_open() ? impl_->descriptor.native_handle() : -1; }

// epoll refuses regular files (Asio then reports operation_not_supported): they never
// block, so they count as ready. Any other error is the next read's or write's to tell.
void FdWatch::Impl::wait(const std::shared_ptr<Impl>& impl, asio::posix::descriptor_base::wait_type type,
                         std::function<void()> fn) {
  int d = direction(type);
  auto generation = ++impl->generation[d];
  impl->descriptor.async_wait(type, [weak = std::weak_ptr<Impl>(impl), d, generation,
                                     fn = std::move(fn)](std::error_code ec) {
    auto self = weak.lock();
    if (!self || ec == asio::error::operation_aborted || generation != self->generation[d]) return;
    fn();
  });
}

}  // namespace taps
