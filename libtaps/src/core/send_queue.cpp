#include "core/send_queue.hpp"

#include <algorithm>

namespace taps::detail {

// A final message goes last whatever its priority (RFC 9622 9.1.3.5: Final overrides
// Priority); a started message goes first, as its remaining bytes must follow its first.
bool SendQueue::goes_before(const Entry& a, const Entry& b) noexcept {
  if (a.started != b.started) return a.started;
  if (a.final != b.final) return !a.final;
  return a.priority < b.priority;
}

void SendQueue::note_deadline(const Entry& e) {
  if (!e.lifetime || !e.ended || e.started) return;
  auto deadline = e.queued_at + *e.lifetime;
  if (!next_deadline_ || deadline < *next_deadline_) next_deadline_ = deadline;
}

void SendQueue::push(Message bytes, MessageContext ctx, bool end_of_message, TimePoint now) {
  Entry entry{ctx.id, ctx.msg_priority, ctx.final, end_of_message, false, now, ctx.msg_lifetime, {}};
  entry.pieces.push_back({std::move(bytes), std::move(ctx), end_of_message});
  ++pieces_;
  if (!end_of_message) open_ = entry.id;
  note_deadline(entry);
  // From the back: messages of equal priority keep their send order, and the common
  // case (one priority) costs one comparison.
  auto at = entries_.end();
  while (at != entries_.begin() && goes_before(entry, *std::prev(at))) --at;
  entries_.insert(at, std::move(entry));
}

void SendQueue::append(Message bytes, MessageContext ctx, bool end_of_message) {
  if (!open_) return;
  // The open message is the first once it started, else usually the last (pushed when
  // its first piece was sent): the search starts at both ends.
  auto is_open = [id = *open_](const Entry& e) { return e.id == id; };
  auto it = entries_.end();
  if (!entries_.empty() && is_open(entries_.front())) {
    it = entries_.begin();
  } else if (auto r = std::find_if(entries_.rbegin(), entries_.rend(), is_open); r != entries_.rend()) {
    it = std::prev(r.base());
  }
  if (it == entries_.end()) return;
  it->ended = end_of_message;
  if (end_of_message) open_.reset();
  bool becomes_final = ctx.final && !it->final;
  it->pieces.push_back({std::move(bytes), std::move(ctx), end_of_message});
  ++pieces_;
  note_deadline(*it);
  if (becomes_final) {
    it->final = true;
    if (!it->started) {
      auto entry = std::move(*it);
      entries_.erase(it);
      entries_.push_back(std::move(entry));
    }
  }
}

void SendQueue::pin_front(MessageId id) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [id](const Entry& e) { return e.id == id; });
  if (it == entries_.end()) return;
  auto entry = std::move(*it);
  entries_.erase(it);
  entry.started = true;
  entries_.push_front(std::move(entry));
}

void SendQueue::drop_sent_bytes(std::size_t n) {
  if (entries_.empty() || entries_.front().pieces.empty()) return;
  auto& bytes = entries_.front().pieces.front().bytes.bytes();
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(n, bytes.size())));
}

bool SendQueue::has_next(bool datagram) const noexcept {
  if (datagram) {
    return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.ended; });
  }
  return !entries_.empty() && !entries_.front().pieces.empty();
}

std::vector<SendQueue::Piece> SendQueue::next(bool datagram) {
  std::vector<Piece> out;
  auto it = datagram ? std::find_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.ended; })
                     : entries_.begin();
  if (it == entries_.end()) return out;
  pieces_ -= it->pieces.size();
  out = std::move(it->pieces);
  // The stream ends after the final message's last byte, whichever piece said final.
  for (auto& p : out) p.ctx.final = it->final && p.end_of_message;
  if (it->ended) {
    entries_.erase(it);
  } else {
    it->pieces.clear();
    it->started = true;
  }
  return out;
}

std::vector<MessageContext> SendQueue::expire(TimePoint now) {
  std::vector<MessageContext> expired;
  if (!next_deadline_ || now <= *next_deadline_) return expired;
  next_deadline_.reset();
  // A message whose end has not been sent stays: its later pieces must find it.
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->started || !it->ended || !it->lifetime || it->queued_at + *it->lifetime >= now) {
      note_deadline(*it);
      ++it;
      continue;
    }
    for (auto& p : it->pieces) expired.push_back(std::move(p.ctx));
    pieces_ -= it->pieces.size();
    it = entries_.erase(it);
  }
  return expired;
}

std::vector<MessageContext> SendQueue::clear() {
  std::vector<MessageContext> dropped;
  for (auto& e : entries_) {
    for (auto& p : e.pieces) dropped.push_back(std::move(p.ctx));
  }
  entries_.clear();
  open_.reset();
  pieces_ = 0;
  next_deadline_.reset();
  return dropped;
}

}  // namespace taps::detail
