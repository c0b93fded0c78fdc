#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "taps/framer.hpp"

namespace taps {
namespace {

class LineFramer final : public Framer {
 public:
  // parse() asks for max + 1 bytes to see a line that is too long: saturate below the
  // top of size_t so that a huge maximum cannot wrap to 0.
  explicit LineFramer(std::size_t max) : max_(std::min(max, std::numeric_limits<std::size_t>::max() - 1)) {}

  std::string_view name() const override { return "line"; }

  void on_new_sent_message(FramerContext& ctx, Message message, const MessageContext&) override {
    message.bytes().push_back('\n');
    ctx.send(std::move(message));
  }

  bool frames_partial_messages() const override { return true; }
  void on_new_sent_partial(FramerContext& ctx, Message piece, const MessageContext&, bool end_of_message) override {
    if (end_of_message) piece.bytes().push_back('\n');
    if (!piece.empty()) ctx.send(std::move(piece));
  }

  // Looks for the newline only in bytes not yet searched, so that a long line
  // arriving in pieces is scanned once.
  void on_received_data(FramerContext& ctx) override {
    for (;;) {
      auto bytes = ctx.parse(1, max_ + 1);
      if (bytes.empty()) return;
      const auto* from = bytes.data() + std::min(scanned_, bytes.size());
      const auto* newline = static_cast<const std::uint8_t*>(std::memchr(from, '\n', bytes.size() - (from - bytes.data())));
      if (!newline) {
        scanned_ = bytes.size();
        if (bytes.size() > max_) {
          ctx.fail(make_error(errc::framing_error,
                              "line: a line longer than the maximum message size of " + std::to_string(max_) + " bytes"));
        } else if (ctx.datagram()) {
          scanned_ = 0;  // the next datagram is searched from its start
          ctx.deliver_and_advance(bytes.size(), {}, true);  // a datagram ends a line too
          continue;
        }
        return;
      }
      scanned_ = 0;
      auto length = static_cast<std::size_t>(newline - bytes.data());
      ctx.deliver_and_advance(length, {}, true);
      ctx.advance(1);
    }
  }

 private:
  std::size_t max_;
  std::size_t scanned_ = 0;
};

}  // namespace

FramerSpec line_framer(std::size_t max_message_size) {
  return {"line", [max_message_size] { return std::make_unique<LineFramer>(max_message_size); }};
}

}  // namespace taps
