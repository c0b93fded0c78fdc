#include "common/payload_output.hpp"

#include <utility>
#include <vector>

namespace taps::apps {

taps::Message render_payload(PayloadOutput output, taps::Message payload) {
  switch (output) {
    case PayloadOutput::raw:
      return payload;
    case PayloadOutput::none:
      return {};
    case PayloadOutput::lines:
      // A payload that is already a line (a `line` framer's datagram) stays one line.
      if (payload.empty() || payload.bytes().back() != '\n') payload.bytes().push_back('\n');
      return payload;
    case PayloadOutput::lp: {
      auto n = static_cast<std::uint32_t>(payload.size());
      std::vector<std::uint8_t> framed{static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                                       static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
      framed.insert(framed.end(), payload.bytes().begin(), payload.bytes().end());
      return taps::Message(std::move(framed));
    }
    case PayloadOutput::hex: {
      static constexpr char digits[] = "0123456789abcdef";
      std::vector<std::uint8_t> text;
      text.reserve(payload.size() * 2 + 1);
      for (auto b : payload.bytes()) {
        text.push_back(static_cast<std::uint8_t>(digits[b >> 4]));
        text.push_back(static_cast<std::uint8_t>(digits[b & 15]));
      }
      text.push_back('\n');
      return taps::Message(std::move(text));
    }
  }
  return payload;
}

}  // namespace taps::apps
