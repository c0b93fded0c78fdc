// Numbers the tools read from the command line, checked by range as text: CLI11 would
// read "-1" into an unsigned as 2^64-1 and accept it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace taps::apps {

// A decimal number from `min` to `max`, the whole text and nothing else.
std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max);

// A port number, 1-65535 (0 too with `allow_zero`: "any port" when listening).
std::optional<std::uint16_t> parse_port(std::string_view text, bool allow_zero = false);

// A finite number greater than 0.
std::optional<double> parse_positive(std::string_view text);

// Seconds, fractions too ("0.25"), above 0 and at most a year, rounded to milliseconds
// (at least 1 ms).
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text);

}  // namespace taps::apps
