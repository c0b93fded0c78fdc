#include "racing/race_schedule.hpp"

#include <algorithm>

namespace taps::detail {

RaceSchedule::RaceSchedule(Timers timers, std::size_t queries, TimePoint now)
    : timers_(timers), queries_left_(queries) {
  if (timers_.timeout) deadline_ = now + *timers_.timeout;
}

void RaceSchedule::answered(Query query, bool has_addresses, std::vector<Candidate> leaves, TimePoint now) {
  if (queries_left_ > 0) --queries_left_;
  if (has_addresses && query == Query::aaaa) aaaa_with_addresses_ = true;
  if (has_addresses && query == Query::a && !first_a_at_) first_a_at_ = now;
  // RFC 8305 section 4: late answers join the addresses not attempted yet, re-sorted.
  pending_.clear();
  for (auto& leaf : leaves) {
    if (std::find(started_.begin(), started_.end(), leaf) == started_.end()) pending_.push_back(std::move(leaf));
  }
}

void RaceSchedule::attempt_failed(int id, TimePoint now) {
  if (running_.erase(id) == 0) return;
  next_start_ = now;
}

void RaceSchedule::attempt_won(int id) {
  if (!running_.contains(id)) return;
  state_ = State::won;
  running_.clear();
}

void RaceSchedule::resume(int id, TimePoint now) {
  if (state_ != State::won) return;
  state_ = State::racing;
  running_.insert(id);
  attempt_failed(id, now);
}

bool RaceSchedule::may_start_racing(TimePoint now) const {
  return queries_left_ == 0 || aaaa_with_addresses_ ||
         (first_a_at_ && now >= *first_a_at_ + timers_.resolution_delay);
}

std::optional<RaceSchedule::Start> RaceSchedule::next(TimePoint now) {
  if (state_ == State::won || state_ == State::failed || state_ == State::timed_out) return std::nullopt;
  if (deadline_ && now >= *deadline_) {
    state_ = State::timed_out;
    return std::nullopt;
  }
  if (state_ == State::resolving) {
    if (!may_start_racing(now)) return std::nullopt;
    state_ = State::racing;
  }
  if (pending_.empty()) {
    if (running_.empty() && queries_left_ == 0) state_ = State::failed;
    return std::nullopt;
  }
  if (now < next_start_) return std::nullopt;
  started_.push_back(std::move(pending_.front()));
  pending_.erase(pending_.begin());
  int id = static_cast<int>(started_.size());
  running_.insert(id);
  next_start_ = now + timers_.attempt_delay;
  return Start{id, started_.back()};
}

std::optional<RaceSchedule::TimePoint> RaceSchedule::wake_at() const {
  std::optional<TimePoint> at = deadline_;
  auto earliest = [&at](TimePoint t) { at = at ? std::min(*at, t) : t; };
  switch (state_) {
    case State::resolving:
      if (first_a_at_) earliest(*first_a_at_ + timers_.resolution_delay);
      break;
    case State::racing:
      if (!pending_.empty()) earliest(next_start_);
      break;
    case State::won:
    case State::failed:
    case State::timed_out:
      return std::nullopt;
  }
  return at;
}

}  // namespace taps::detail
