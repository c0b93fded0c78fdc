#include "verifier/backoff.hpp"

#include <algorithm>

namespace ambi_verifier {

std::chrono::milliseconds Backoff::next() {
  auto delay = next_;
  next_ = std::min(next_ * 2, cap);
  return delay;
}

}  // namespace ambi_verifier
