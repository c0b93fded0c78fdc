#include "quic/stream_send_buffer.hpp"

#include <algorithm>

namespace taps::detail {

void StreamSendBuffer::push(Outgoing out) {
  bool final = out.ctx.final;
  std::uint64_t size = out.message.size();
  pieces_.push_back({std::move(out.message), std::move(out.ctx), queued_end_});
  queued_end_ += size;
  if (final) fin_queued_ = true;
}

std::vector<std::span<const std::uint8_t>> StreamSendBuffer::unwritten(std::size_t max) const {
  std::vector<std::span<const std::uint8_t>> out;
  for (const auto& p : pieces_) {
    if (out.size() == max) break;
    std::uint64_t end = p.start + p.bytes.size();
    if (end <= written_ || p.bytes.empty()) continue;
    std::uint64_t skip = written_ > p.start ? written_ - p.start : 0;
    out.emplace_back(p.bytes.data() + skip, static_cast<std::size_t>(p.bytes.size() - skip));
  }
  return out;
}

std::vector<Outgoing> StreamSendBuffer::written(std::uint64_t n, bool fin) {
  written_ = std::min(written_ + n, queued_end_);
  if (fin && fin_queued_ && written_ == queued_end_ && !fin_written_) {
    fin_written_ = true;
    fin_with_data_ = n > 0;
  }
  std::vector<Outgoing> done;
  for (auto& p : pieces_) {
    if (p.reported) continue;
    bool whole = p.start + p.bytes.size() <= written_;
    // The final item is written with the FIN, not before it.
    if (!whole || (p.ctx.final && !fin_written_)) break;
    p.reported = true;
    done.push_back({Message{}, std::move(p.ctx)});
  }
  // Items written and without bytes to keep (empty messages) go at once.
  while (!pieces_.empty() && pieces_.front().reported && pieces_.front().bytes.empty()) pieces_.pop_front();
  return done;
}

void StreamSendBuffer::acked(std::uint64_t offset, std::uint64_t n) {
  if (n == 0 && fin_written_ && offset == queued_end_) fin_alone_acked_ = true;
  std::uint64_t end = std::min(offset + n, written_);
  while (!pieces_.empty() && pieces_.front().reported && pieces_.front().start + pieces_.front().bytes.size() <= end) {
    freed_ = pieces_.front().start + pieces_.front().bytes.size();
    pieces_.pop_front();
  }
}

}  // namespace taps::detail
