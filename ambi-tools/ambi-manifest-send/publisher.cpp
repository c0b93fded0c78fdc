#include "ambi-manifest-send/publisher.hpp"

namespace ambi_manifest_send {

Publisher::Publisher(taps::Context& ctx, ManifestBuilder builder, std::chrono::milliseconds interval, Publish publish)
    : builder_(std::move(builder)), interval_(interval), publish_(std::move(publish)), timer_(ctx) {}

std::uint32_t Publisher::add(const ambi::Digest& digest) {
  auto seq = builder_.add(digest);
  if (builder_.full()) {
    flush();
  } else if (!timer_.pending()) {
    timer_.start(interval_, [this] { flush(); });
  }
  return seq;
}

void Publisher::flush() {
  timer_.cancel();
  ambi::ManifestHeader header;
  auto manifest = builder_.take(&header);
  if (!manifest.empty()) publish_(std::move(manifest), header);
}

}  // namespace ambi_manifest_send
