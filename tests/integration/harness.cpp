#include "harness.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

namespace test {

bool run_for(taps::Context& ctx, std::chrono::milliseconds limit) {
  bool timed_out = false;
  asio::steady_timer timer(ctx.io_context(), limit);
  timer.async_wait([&](std::error_code ec) {
    if (ec) return;
    timed_out = true;
    ctx.stop();
  });
  ctx.io_context().restart();
  ctx.run();
  timer.cancel();
  ctx.io_context().restart();
  ctx.io_context().poll();  // lets the cancelled timer's handler run before `timer` goes
  return !timed_out;
}

void after(taps::Context& ctx, std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(ctx.io_context(), delay);
  timer->async_wait([timer, fn = std::move(fn)](std::error_code ec) {
    if (!ec) fn();
  });
}

std::uint16_t port_of(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

}  // namespace test
