#include "taps/timer.hpp"

#include <asio/steady_timer.hpp>

#include <cstdint>

#include "core/context_access.hpp"

namespace taps {

// A handler holds its function and only a weak reference to the Impl: destroying the
// Timer cancels the wait, and the aborted handler then finds nothing to call. The
// generation tells a handler whose wait was replaced or cancelled after it was already
// queued (Asio runs those with success) that it is stale.
struct Timer::Impl {
  explicit Impl(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::uint64_t generation = 0;
  bool pending = false;

  // period zero: one-shot.
  static void arm(const std::shared_ptr<Impl>& impl, Clock::duration period, std::function<void()> fn);
};

Timer::Timer(Context& ctx) : impl_(std::make_shared<Impl>(detail::io_context_of(ctx))) {}

Timer::~Timer() { cancel(); }

void Timer::start(Clock::duration after, std::function<void()> fn) { start_at(Clock::now() + after, std::move(fn)); }

void Timer::start_at(Clock::time_point at, std::function<void()> fn) {
  cancel();
  impl_->timer.expires_at(at);
  Impl::arm(impl_, Clock::duration::zero(), std::move(fn));
}

void Timer::start_periodic(Clock::duration period, std::function<void()> fn) {
  cancel();
  impl_->timer.expires_at(Clock::now() + period);
  Impl::arm(impl_, period, std::move(fn));
}

void Timer::cancel() {
  if (!impl_->pending) return;
  impl_->pending = false;
  ++impl_->generation;
  impl_->timer.cancel();
}

bool Timer::pending() const noexcept { return impl_->pending; }

void Timer::Impl::arm(const std::shared_ptr<Impl>& impl, Clock::duration period, std::function<void()> fn) {
  impl->pending = true;
  impl->timer.async_wait([weak = std::weak_ptr<Impl>(impl), generation = impl->generation, period,
                          fn = std::move(fn)](std::error_code ec) mutable {
    auto self = weak.lock();
    if (!self || ec || generation != self->generation) return;
    if (period == Clock::duration::zero()) {
      self->pending = false;
      fn();
      return;
    }
    fn();
    // fn may have cancelled or restarted the timer, or destroyed it (its destructor
    // cancels): each of those moved the generation on.
    if (generation != self->generation) return;
    auto next = self->timer.expiry() + period;
    auto now = Clock::now();
    if (next <= now) next += ((now - next) / period + 1) * period;
    self->timer.expires_at(next);
    arm(self, period, std::move(fn));
  });
}

}  // namespace taps
