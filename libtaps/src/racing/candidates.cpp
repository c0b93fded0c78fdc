#include "racing/candidates.hpp"

#include <algorithm>

namespace taps::detail {

std::vector<Candidate> order_candidates(const std::vector<Candidate>& given, int family,
                                        int first_family_count) {
  std::vector<Candidate> v6, v4;
  for (const auto& c : given) {
    auto& list = c.address.is_v6() ? v6 : v4;
    if ((family == 4 && c.address.is_v6()) || (family == 6 && c.address.is_v4())) continue;
    if (std::find(list.begin(), list.end(), c) == list.end()) list.push_back(c);
  }
  std::vector<Candidate> ordered;
  ordered.reserve(v6.size() + v4.size());
  std::size_t i6 = 0, i4 = 0;
  for (int n = 0; n < first_family_count && i6 < v6.size(); ++n) ordered.push_back(v6[i6++]);
  while (i6 < v6.size() || i4 < v4.size()) {
    if (i4 < v4.size()) ordered.push_back(v4[i4++]);
    if (i6 < v6.size()) ordered.push_back(v6[i6++]);
  }
  return ordered;
}

}  // namespace taps::detail
