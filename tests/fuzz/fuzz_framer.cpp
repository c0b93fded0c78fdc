// libFuzzer target for one shipped framer (FUZZ_FRAMER: "line" or "lp"). The input's
// first byte picks how the rest is cut into arrivals; the rest is the peer's bytes.
// Checks, beyond the sanitizers: what the framer delivers, framed again, is a prefix
// of the input that leaves no complete message behind, and nothing is delivered after
// a failure.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "framing/framer_host.hpp"

namespace {

std::string frame(std::string_view name, const std::string& message) {
  if (name == "line") return message + "\n";
  auto n = message.size();
  std::string header{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return header + message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::string_view name = FUZZ_FRAMER;
  const std::size_t step = 1 + data[0] % 17;
  const bool datagram = data[0] & 0x80;
  ++data;
  --size;

  std::string reframed;
  bool failed = false;
  taps::detail::FramerHost::Callbacks callbacks;
  callbacks.send = [](taps::Message) {};
  callbacks.deliver = [&](taps::Message&& m, taps::MessageContext&&, bool) {
    if (failed) std::abort();
    reframed += frame(name, std::string(m.as_string_view()));
  };
  callbacks.ready = [] {};
  callbacks.failed = [&](taps::Error) { failed = true; };
  std::vector<std::unique_ptr<taps::Framer>> framers;
  framers.push_back(taps::framer_by_name(name, 4096)->factory());
  taps::detail::FramerHost host(std::move(framers), callbacks, datagram);
  host.start();
  for (std::size_t at = 0; at < size; at += step) host.received(data + at, std::min(step, size - at));

  if (!datagram && !failed) {
    // A stream: what was delivered is a prefix of the input, and what is left holds
    // no complete message.
    std::string input(reinterpret_cast<const char*>(data), size);
    if (input.compare(0, reframed.size(), reframed) != 0) std::abort();
    std::string_view rest = std::string_view(input).substr(reframed.size());
    if (name == "line" && rest.find('\n') != std::string_view::npos) std::abort();
    if (name == "lp" && rest.size() >= 4) {
      auto n = (std::size_t{std::uint8_t(rest[0])} << 24) | (std::size_t{std::uint8_t(rest[1])} << 16) |
               (std::size_t{std::uint8_t(rest[2])} << 8) | std::size_t{std::uint8_t(rest[3])};
      if (rest.size() >= 4 + n) std::abort();
    }
  }
  return 0;
}
