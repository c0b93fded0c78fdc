#include "framing/framer_host.hpp"

#include <algorithm>
#include <cstring>

namespace taps::detail {

// One framer of the stack and the FramerContext it sees. Its input is a buffer with
// a cursor: consumed bytes are dropped in bulk, not per message, so that many small
// messages cost no more than a few large ones.
class FramerHost::Level final : public FramerContext {
 public:
  Level(FramerHost& host, std::unique_ptr<Framer> framer, std::size_t index)
      : host_(host), framer_(std::move(framer)), index_(index) {}

  Framer& framer() { return *framer_; }

  // One whole datagram, owned: a framer that delivers all of it passes this very
  // buffer on (see deliver_and_advance), so a datagram is not copied per level.
  void received_datagram(std::vector<std::uint8_t> datagram) {
    if (host_.failed_) return;
    buffer_ = std::move(datagram);
    cursor_ = 0;
    skip_ = 0;
    claim_.reset();
    framer_->on_received_data(*this);
    buffer_.clear();
    cursor_ = 0;
  }

  void received(const std::uint8_t* data, std::size_t size) {
    if (host_.failed_) return;
    if (host_.datagram_) {
      received_datagram(std::vector<std::uint8_t>(data, data + size));
      return;
    }
    // Bytes owed to a claim or a skip come first; the framer is not asked meanwhile.
    while (size > 0 && (claim_ || skip_ > 0)) {
      if (skip_ > 0) {
        std::size_t n = std::min(size, skip_);
        skip_ -= n;
        data += n;
        size -= n;
        continue;
      }
      std::size_t n = std::min(size, claim_->remaining);
      auto& bytes = claim_->message.bytes();
      bytes.insert(bytes.end(), data, data + n);
      claim_->remaining -= n;
      data += n;
      size -= n;
      if (claim_->remaining == 0) {
        auto claim = std::move(*claim_);
        claim_.reset();
        deliver_up(std::move(claim.message), std::move(claim.ctx), claim.end);
        if (host_.failed_) return;
      }
    }
    if (size == 0 && cursor_ == buffer_.size()) return;
    compact();
    buffer_.insert(buffer_.end(), data, data + size);
    framer_->on_received_data(*this);
  }

  std::size_t buffered() const { return buffer_.size() + (claim_ ? claim_->message.size() : 0); }

  std::size_t unfinished() const {
    return buffer_.size() - cursor_ + (claim_ ? claim_->message.size() + claim_->remaining : 0);
  }

  std::span<const std::uint8_t> parse(std::size_t min, std::size_t max) override {
    std::size_t available = buffer_.size() - cursor_;
    if (available < min || available == 0) return {};
    return {buffer_.data() + cursor_, std::min(available, max)};
  }

  void advance(std::size_t n) override {
    std::size_t available = buffer_.size() - cursor_;
    cursor_ += std::min(n, available);
    if (n > available && !host_.datagram_) skip_ += n - available;
  }

  void deliver_and_advance(std::size_t n, MessageContext ctx, bool end) override {
    if (host_.datagram_ && cursor_ == 0 && n == buffer_.size()) {
      // The whole datagram is the message: its buffer moves on, nothing is left.
      Message message(std::move(buffer_));
      buffer_.clear();
      deliver_up(std::move(message), std::move(ctx), end);
      return;
    }
    std::size_t available = buffer_.size() - cursor_;
    std::size_t now = std::min(n, available);
    Message message(std::vector<std::uint8_t>(buffer_.data() + cursor_, buffer_.data() + cursor_ + now));
    cursor_ += now;
    if (now == n) {
      deliver_up(std::move(message), std::move(ctx), end);
      return;
    }
    if (host_.datagram_) {
      fail(make_error(errc::framing_error, "message of " + std::to_string(n) + " bytes in a datagram of " +
                                               std::to_string(available)));
      return;
    }
    // The length is only announced: memory follows the bytes that really arrive (a
    // 4-byte header must not reserve gigabytes), with a head start for the common case.
    constexpr std::size_t claim_head_start = 1 << 20;
    message.bytes().reserve(std::min(n, now + claim_head_start));
    claim_ = Claim{std::move(message), n - now, std::move(ctx), end};
  }

  void deliver(Message message, MessageContext ctx, bool end) override {
    deliver_up(std::move(message), std::move(ctx), end);
  }

  void send(Message bytes) override {
    if (collecting_) {
      collected_.push_back(std::move(bytes));
      return;
    }
    host_.send_below(index_, std::move(bytes));
  }

  void make_ready() override {
    if (ready_) return;
    ready_ = true;
    host_.level_ready();
  }

  void fail(Error error) override { host_.fail(std::move(error)); }
  bool datagram() const override { return host_.datagram_; }

  const MessageContext& received_context() const override {
    static const MessageContext none;
    return host_.received_context_ ? *host_.received_context_ : none;
  }

  Later later() override {
    return [schedule = host_.callbacks_.schedule, index = index_](std::function<void(FramerContext&)> fn) {
      if (!schedule) return;
      schedule([index, fn = std::move(fn)](FramerHost& host) {
        if (!host.failed_) fn(*host.levels_[index]);
      });
    };
  }

  // What one message became at this level: collected, then handed down as one.
  void new_message(Message message, const MessageContext& ctx) {
    collecting_ = true;
    collected_.clear();
    framer_->on_new_sent_message(*this, std::move(message), ctx);
    collecting_ = false;
  }
  void new_partial(Message piece, const MessageContext& ctx, bool end) {
    collecting_ = true;
    collected_.clear();
    framer_->on_new_sent_partial(*this, std::move(piece), ctx, end);
    collecting_ = false;
  }
  // The pieces of a message this level's framer can only frame whole.
  Message& held_message() { return held_; }
  bool holding() const { return holding_; }
  void set_holding(bool h) { holding_ = h; }
  std::vector<Message>& collected() { return collected_; }

 private:
  struct Claim {
    Message message;
    std::size_t remaining;
    MessageContext ctx;
    bool end;
  };

  void deliver_up(Message&& message, MessageContext&& ctx, bool end) {
    host_.deliver_above(index_, std::move(message), std::move(ctx), end);
  }

  // Drops consumed bytes once they are most of the buffer: amortised O(1) per byte.
  void compact() {
    if (cursor_ == buffer_.size()) {
      buffer_.clear();
      cursor_ = 0;
    } else if (cursor_ > 4096 && cursor_ * 2 > buffer_.size()) {
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(cursor_));
      cursor_ = 0;
    }
  }

  FramerHost& host_;
  std::unique_ptr<Framer> framer_;
  std::size_t index_;
  std::vector<std::uint8_t> buffer_;
  std::size_t cursor_ = 0;
  std::size_t skip_ = 0;
  std::optional<Claim> claim_;
  bool ready_ = false;
  bool collecting_ = false;
  std::vector<Message> collected_;
  Message held_;
  bool holding_ = false;
};

FramerHost::FramerHost(std::vector<std::unique_ptr<Framer>> framers, Callbacks callbacks, bool datagram)
    : callbacks_(std::move(callbacks)), datagram_(datagram) {
  for (std::size_t i = 0; i < framers.size(); ++i) {
    levels_.push_back(std::make_unique<Level>(*this, std::move(framers[i]), i));
  }
}

FramerHost::~FramerHost() = default;

void FramerHost::start() {
  for (auto& level : levels_) {
    if (failed_) return;
    level->framer().start(*level);
  }
}

void FramerHost::send(Message message, const MessageContext& ctx, bool end_of_message) {
  if (failed_ || levels_.empty()) return;
  send_from(levels_.size() - 1, std::move(message), ctx, end_of_message || datagram_);
}

// One message (or a piece of one) enters level `i`; what it made goes to level i-1 as
// one message (or piece), or to the transport. On a stream the buffers go out
// separately (scatter/gather); in a datagram they must stay together.
void FramerHost::send_from(std::size_t i, Message message, const MessageContext& ctx, bool end) {
  auto& level = *levels_[i];
  bool partial = !end || level.holding();
  if (partial && !level.framer().frames_partial_messages()) {
    auto& held = level.held_message().bytes();
    held.insert(held.end(), message.bytes().begin(), message.bytes().end());
    level.set_holding(!end);
    if (!end) return;
    message = std::move(level.held_message());
    level.held_message() = Message{};
    partial = false;
  }
  if (partial) {
    level.set_holding(!end);
    level.new_partial(std::move(message), ctx, end);
  } else {
    level.new_message(std::move(message), ctx);
  }
  auto pieces = std::move(level.collected());
  if (failed_) return;
  if (i > 0 || datagram_) {
    Message joined;
    if (pieces.size() == 1) {
      joined = std::move(pieces.front());
    } else {
      for (auto& p : pieces) joined.bytes().insert(joined.bytes().end(), p.bytes().begin(), p.bytes().end());
    }
    if (i > 0) {
      send_from(i - 1, std::move(joined), ctx, end);
    } else {
      callbacks_.send(std::move(joined));
    }
    return;
  }
  for (auto& p : pieces) callbacks_.send(std::move(p));
}

void FramerHost::send_below(std::size_t i, Message bytes) {
  if (i == 0) {
    callbacks_.send(std::move(bytes));
  } else {
    send_from(i - 1, std::move(bytes), MessageContext{}, true);
  }
}

void FramerHost::deliver_above(std::size_t i, Message&& message, MessageContext&& ctx, bool end) {
  if (failed_) return;
  if (i + 1 == levels_.size()) {
    callbacks_.deliver(std::move(message), std::move(ctx), end);
    return;
  }
  if (datagram_) {
    levels_[i + 1]->received_datagram(std::move(message.bytes()));
  } else {
    levels_[i + 1]->received(message.data(), message.size());
  }
}

void FramerHost::received(const std::uint8_t* data, std::size_t size, const MessageContext& ctx) {
  if (failed_ || levels_.empty()) return;
  received_context_ = &ctx;
  levels_.front()->received(data, size);
  received_context_ = nullptr;
}

void FramerHost::received(Message datagram, const MessageContext& ctx) {
  if (!datagram_) {
    received(datagram.data(), datagram.size(), ctx);
    return;
  }
  if (failed_ || levels_.empty()) return;
  received_context_ = &ctx;
  levels_.front()->received_datagram(std::move(datagram.bytes()));
  received_context_ = nullptr;
}

std::size_t FramerHost::end_of_stream() const {
  std::size_t left = 0;
  for (const auto& level : levels_) left += level->unfinished();
  return left;
}

std::size_t FramerHost::buffered() const {
  std::size_t bytes = 0;
  for (const auto& level : levels_) bytes += level->buffered();
  return bytes;
}

void FramerHost::stop() {
  for (auto it = levels_.rbegin(); it != levels_.rend() && !failed_; ++it) (*it)->framer().stop(**it);
}

void FramerHost::level_ready() {
  if (++ready_count_ == levels_.size() && callbacks_.ready) callbacks_.ready();
}

void FramerHost::fail(Error error) {
  if (failed_) return;
  failed_ = true;
  callbacks_.failed(std::move(error));
}

}  // namespace taps::detail
