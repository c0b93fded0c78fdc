// libFuzzer target for the AMBI manifest stream parser. The input's first byte picks the
// digest length, whether a stream identifier is expected and how the rest is cut into
// arrivals; the rest is the manifest server's bytes. Checks, beyond the sanitizers:
// the events do not depend on the cutting, digests are numbered from First Packet
// Sequence Number and never outnumber the header's count, nothing follows an error, and
// every complete manifest survives encode then decode.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "ambi/manifest_stream_parser.hpp"

namespace {

struct Run {
  std::vector<ambi::ManifestEvent> events;
  std::vector<ambi::Manifest> manifests;
};

bool same(const ambi::ManifestEvent& a, const ambi::ManifestEvent& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<ambi::PacketDigest>(&a)) {
    auto& y = std::get<ambi::PacketDigest>(b);
    return x->packet_seq == y.packet_seq && x->manifest_seq == y.manifest_seq && x->digest == y.digest;
  }
  if (auto* x = std::get_if<ambi::ManifestEnd>(&a)) {
    return x->manifest_seq == std::get<ambi::ManifestEnd>(b).manifest_seq;
  }
  if (auto* x = std::get_if<ambi::ManifestHeader>(&a)) return *x == std::get<ambi::ManifestHeader>(b);
  if (auto* x = std::get_if<std::error_code>(&a)) return *x == std::get<std::error_code>(b);
  return true;
}

Run parse(std::size_t digest_length, std::optional<std::uint32_t> stream_id, const std::uint8_t* data,
          std::size_t size, std::size_t step) {
  Run run;
  ambi::ManifestStreamParser parser(digest_length, stream_id);
  ambi::Manifest current;
  for (std::size_t at = 0; at < size; at += step) {
    std::span<const std::uint8_t> in(data + at, std::min(step, size - at));
    for (;;) {
      auto event = parser.next(in);
      if (std::holds_alternative<std::monostate>(event)) break;
      if (!run.events.empty() && std::holds_alternative<std::error_code>(run.events.back()) &&
          !std::holds_alternative<std::error_code>(event)) {
        std::abort();
      }
      if (auto* h = std::get_if<ambi::ManifestHeader>(&event)) {
        current = ambi::Manifest{h->stream_id, h->manifest_seq, h->first_packet_seq, h->tlvs, {}};
        current.digests.reserve(h->digest_count);
      } else if (auto* d = std::get_if<ambi::PacketDigest>(&event)) {
        const auto index = static_cast<std::uint32_t>(current.digests.size());
        if (d->packet_seq != current.first_packet_seq + index) std::abort();
        if (d->digest.size != digest_length) std::abort();
        current.digests.push_back(d->digest);
      } else if (std::holds_alternative<ambi::ManifestEnd>(event)) {
        run.manifests.push_back(std::move(current));
      }
      const bool failed = std::holds_alternative<std::error_code>(event);
      run.events.push_back(std::move(event));
      if (failed) return run;
    }
  }
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::size_t lengths[] = {32, 48, 64, 4};
  const std::size_t digest_length = lengths[data[0] & 3];
  const std::optional<std::uint32_t> stream_id = data[0] & 4 ? std::optional<std::uint32_t>(1) : std::nullopt;
  const std::size_t step = 1 + (data[0] >> 3) % 23;
  ++data;
  --size;

  const Run whole = parse(digest_length, stream_id, data, size, size == 0 ? 1 : size);
  const Run cut = parse(digest_length, stream_id, data, size, step);
  if (whole.events.size() != cut.events.size()) std::abort();
  for (std::size_t i = 0; i < whole.events.size(); ++i) {
    if (!same(whole.events[i], cut.events[i])) std::abort();
  }
  for (const auto& m : whole.manifests) {
    if (m.digests.size() > ambi::max_digest_count) std::abort();
    std::vector<std::uint8_t> wire;
    if (ambi::encode(m, digest_length, wire)) std::abort();
    ambi::Manifest back;
    if (ambi::decode(wire, digest_length, back) || !(back == m)) std::abort();
  }
  return 0;
}
