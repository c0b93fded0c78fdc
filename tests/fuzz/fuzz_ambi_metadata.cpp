// libFuzzer target for the AMBI metadata JSON (ambi-tools/metadata). Beyond the
// sanitizers: what parses, written back with to_json(), parses to the same streams
// (in another order when the document listed one sender or group twice).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "metadata/metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = ambi_metadata::parse_metadata(std::string_view(reinterpret_cast<const char*>(data), size));
  auto* streams = std::get_if<std::vector<ambi_metadata::StreamMetadata>>(&parsed);
  if (!streams) return 0;
  auto again = ambi_metadata::parse_metadata(ambi_metadata::to_json(*streams));
  auto* same = std::get_if<std::vector<ambi_metadata::StreamMetadata>>(&again);
  if (!same || !std::is_permutation(same->begin(), same->end(), streams->begin(), streams->end())) std::abort();
  return 0;
}
