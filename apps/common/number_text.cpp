#include "common/number_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace taps::apps {

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::uint16_t> parse_port(std::string_view text, bool allow_zero) {
  auto value = parse_unsigned(text, allow_zero ? 0 : 1, 65535);
  if (!value) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

std::optional<double> parse_positive(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0) return std::nullopt;
  return value;
}

std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
  auto seconds = parse_positive(text);
  if (!seconds || *seconds > 86400.0 * 365) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(*seconds * 1000)));
}

}  // namespace taps::apps
