// Reconnect delays for the manifest channel (DESIGN.md 6.1): 1 s, doubling up to 60 s,
// back to 1 s after a connection that carried a complete manifest and did not end in a
// broken stream (ManifestChannel decides).
#pragma once

#include <chrono>

namespace ambi_verifier {

class Backoff {
 public:
  static constexpr std::chrono::milliseconds first{1000};
  static constexpr std::chrono::milliseconds cap{60000};

  // The delay before the next attempt; each call doubles the one after it.
  std::chrono::milliseconds next();
  void reset() { next_ = first; }

 private:
  std::chrono::milliseconds next_ = first;
};

}  // namespace ambi_verifier
