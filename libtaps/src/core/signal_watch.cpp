#include "taps/signal_watch.hpp"

#include <asio/error.hpp>
#include <asio/signal_set.hpp>

#include "core/context_access.hpp"

namespace taps {

// The handler holds a weak reference, as Timer's does; cancelled means no further call,
// even for a signal whose completion was already queued.
struct SignalWatch::Impl {
  explicit Impl(asio::io_context& io) : signals(io) {}
  asio::signal_set signals;
  bool cancelled = false;

  static void wait(const std::shared_ptr<Impl>& impl, std::function<void(int)> on_signal);
};

SignalWatch::SignalWatch(Context& ctx, std::initializer_list<int> signals, std::function<void(int)> on_signal)
    : impl_(std::make_shared<Impl>(detail::io_context_of(ctx))) {
  // Only a number that is no signal fails; it can never arrive, so there is nothing to watch.
  std::error_code ignored;
  for (int signo : signals) impl_->signals.add(signo, ignored);
  Impl::wait(impl_, std::move(on_signal));
}

SignalWatch::~SignalWatch() { cancel(); }

void SignalWatch::cancel() {
  impl_->cancelled = true;
  std::error_code ignored;
  impl_->signals.cancel(ignored);
}

void SignalWatch::Impl::wait(const std::shared_ptr<Impl>& impl, std::function<void(int)> on_signal) {
  impl->signals.async_wait([weak = std::weak_ptr<Impl>(impl), on_signal = std::move(on_signal)](std::error_code ec,
                                                                                               int signo) mutable {
    auto self = weak.lock();
    if (!self || ec || self->cancelled) return;
    on_signal(signo);
    if (!self->cancelled) wait(self, std::move(on_signal));
  });
}

}  // namespace taps
