#include "ambi-manifest-send/publisher.hpp"

namespace ambi_manifest_send {

Publisher::Publisher(asio::io_context& io, ManifestBuilder builder, std::chrono::milliseconds interval, Publish publish)
    : builder_(std::move(builder)), interval_(interval), publish_(std::move(publish)), timer_(io) {}

std::uint32_t Publisher::add(const ambi::Digest& digest) {
  auto seq = builder_.add(digest);
  if (builder_.full()) {
    flush();
  } else if (!armed_) {
    armed_ = true;
    timer_.expires_after(interval_);
    timer_.async_wait([this](std::error_code ec) {
      if (ec) return;
      armed_ = false;
      flush();
    });
  }
  return seq;
}

void Publisher::flush() {
  if (armed_) {
    armed_ = false;
    timer_.cancel();
  }
  ambi::ManifestHeader header;
  auto manifest = builder_.take(&header);
  if (!manifest.empty()) publish_(std::move(manifest), header);
}

}  // namespace ambi_manifest_send
