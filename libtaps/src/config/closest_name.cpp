#include <algorithm>
#include <numeric>

#include "taps/config.hpp"

namespace taps {
namespace {

// Levenshtein distance, one row at a time.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string_view> closest_name(std::string_view given, const std::vector<std::string_view>& known) {
  // Two edits: a typo or a swapped pair, not any name at all.
  std::size_t best = 3;
  std::optional<std::string_view> closest;
  for (auto name : known) {
    if (auto distance = edit_distance(given, name); distance < best) {
      best = distance;
      closest = name;
    }
  }
  return closest;
}

}  // namespace taps
