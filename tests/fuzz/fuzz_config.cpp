// libFuzzer target for the config JSON (--config, libtaps/src/config). Checks, beyond
// the sanitizers: a document that loads prints (--print-config) as a document that
// loads to an equal Preconnection and prints the same again; a document that does not
// load gives an error that names where ("$...") or why.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "taps/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto loaded = taps::preconnection_from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!loaded) {
    if (loaded.error().detail.empty()) std::abort();
    return 0;
  }
  const std::string printed = taps::preconnection_to_json(loaded.value());
  auto again = taps::preconnection_from_json(printed);
  if (!again || !(again.value() == loaded.value())) std::abort();
  if (taps::preconnection_to_json(again.value()) != printed) std::abort();
  return 0;
}
