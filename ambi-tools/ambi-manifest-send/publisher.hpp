// Turns digests into published manifests: a manifest goes out when it is full, or
// --manifest-interval after its first digest, whichever comes first.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "ambi-manifest-send/manifest_builder.hpp"
#include "taps/context.hpp"
#include "taps/timer.hpp"

namespace ambi_manifest_send {

class Publisher {
 public:
  using Publish = std::function<void(std::vector<std::uint8_t> manifest, const ambi::ManifestHeader& header)>;

  Publisher(taps::Context& ctx, ManifestBuilder builder, std::chrono::milliseconds interval, Publish publish);

  // Adds the next packet's digest; returns its packet sequence number. May publish.
  std::uint32_t add(const ambi::Digest& digest);
  // Publishes what has been added, if anything.
  void flush();
  void cancel() { timer_.cancel(); }

 private:
  ManifestBuilder builder_;
  std::chrono::milliseconds interval_;
  Publish publish_;
  taps::Timer timer_;
};

}  // namespace ambi_manifest_send
