#include "ambi-verify/output.hpp"

namespace ambi_verify {

taps::Message render(Output output, taps::Message payload) {
  switch (output) {
    case Output::raw:
      return payload;
    case Output::none:
      return {};
    case Output::lines:
      payload.bytes().push_back('\n');
      return payload;
    case Output::hex: {
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

}  // namespace ambi_verify
