// Running a Context in tests: until the test calls done(), or a time limit passes.
#pragma once

#include <chrono>
#include <string>

#include "taps/taps.hpp"

namespace test {

// Runs ctx until ctx.stop() or `limit`; returns false when the limit was reached.
bool run_for(taps::Context& ctx, std::chrono::milliseconds limit = std::chrono::seconds(20));

// Runs `fn` on ctx after `delay`.
void after(taps::Context& ctx, std::chrono::milliseconds delay, std::function<void()> fn);

// The port of an "ADDR:PORT" string.
std::uint16_t port_of(const std::string& endpoint);

}  // namespace test
