#include <string>

#include "taps/framer.hpp"

namespace taps {
namespace {

constexpr std::size_t header_size = 4;
// Below this, header and payload are copied into one buffer: a second buffer in the
// gather list costs more than copying a few hundred bytes.
constexpr std::size_t copy_below = 1024;

class LengthPrefixFramer final : public Framer {
 public:
  explicit LengthPrefixFramer(std::size_t max) : max_(max) {}

  std::string_view name() const override { return "lp"; }

  void on_new_sent_message(FramerContext& ctx, Message message, const MessageContext&) override {
    auto n = static_cast<std::uint32_t>(message.size());
    std::uint8_t header[header_size] = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                                        static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    if (message.size() < copy_below) {
      auto& bytes = message.bytes();
      bytes.insert(bytes.begin(), header, header + header_size);
      ctx.send(std::move(message));
      return;
    }
    ctx.send(std::span<const std::uint8_t>(header, header_size));
    ctx.send(std::move(message));
  }

  void on_received_data(FramerContext& ctx) override {
    for (;;) {
      auto header = ctx.parse(header_size, header_size);
      if (header.empty()) return;
      std::size_t length = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                           (std::size_t{header[2]} << 8) | std::size_t{header[3]};
      if (length > max_) {
        ctx.fail(make_error(errc::framing_error, "lp: message length " + std::to_string(length) +
                                                     " exceeds the maximum of " + std::to_string(max_) + " bytes"));
        return;
      }
      ctx.advance(header_size);
      ctx.deliver_and_advance(length, {}, true);
    }
  }

 private:
  std::size_t max_;
};

}  // namespace

FramerSpec length_prefix_framer(std::size_t max_message_size) {
  return {"lp", [max_message_size] { return std::make_unique<LengthPrefixFramer>(max_message_size); }};
}

std::optional<FramerSpec> framer_by_name(std::string_view name, std::size_t max_message_size) {
  if (name == "line") return line_framer(max_message_size);
  if (name == "lp") return length_prefix_framer(max_message_size);
  return std::nullopt;
}

}  // namespace taps
