// When each attempt of a race starts (RFC 8305 sections 3 and 5, RFC 9623 section
// 4.3.2), as a state machine without I/O and without a clock of its own: the racer
// reports what happened and when, asks which attempt to start now and when to wake up
// next. Tests drive it with a fake clock and check every timing rule without waiting.
//
//   resolving --an AAAA answer with addresses, every query answered, or the
//       |      Resolution Delay after an A answer with addresses--> racing
//       +--every query answered, no candidate--> failed
//   racing --an attempt is ready--> won --the winner failed after all (resume)--> racing
//       +--every attempt failed, nothing left to try or resolve--> failed
//   resolving, racing --the establishment deadline--> timed_out
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <vector>

#include "racing/candidates.hpp"

namespace taps::detail {

class RaceSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class State { resolving, racing, won, failed, timed_out };
  enum class Query { a, aaaa };

  struct Timers {
    std::chrono::milliseconds attempt_delay{250};
    std::chrono::milliseconds resolution_delay{50};
    std::optional<std::chrono::milliseconds> timeout;  // the whole establishment
  };

  struct Start {
    int id;  // 1, 2, ... in start order
    Candidate candidate;
  };

  // `queries`: how many DNS answers to wait for (A and AAAA count one each).
  RaceSchedule(Timers timers, std::size_t queries, TimePoint now);

  // One DNS answer, with every leaf of the tree known so far (in race order): the leaves
  // not attempted yet are tried in that order.
  void answered(Query query, bool has_addresses, std::vector<Candidate> leaves, TimePoint now);
  // A running attempt failed: the next one may start at once (RFC 8305 section 5).
  void attempt_failed(int id, TimePoint now);
  void attempt_won(int id);
  // The winner was refused after all (its framer failed): the race goes on.
  void resume(int id, TimePoint now);

  // The attempt to start now, if any; call until nullopt. Advances the state.
  std::optional<Start> next(TimePoint now);
  // When next() may have something new (stagger, Resolution Delay or deadline).
  std::optional<TimePoint> wake_at() const;
  State state() const noexcept { return state_; }
  // The candidate of an attempt that was started.
  const Candidate& candidate(int id) const { return started_.at(static_cast<std::size_t>(id - 1)); }
  bool running(int id) const { return running_.contains(id); }

 private:
  bool may_start_racing(TimePoint now) const;

  Timers timers_;
  State state_ = State::resolving;
  std::size_t queries_left_;
  bool aaaa_with_addresses_ = false;
  std::optional<TimePoint> first_a_at_;
  std::optional<TimePoint> deadline_;
  std::vector<Candidate> pending_;
  std::vector<Candidate> started_;
  std::set<int> running_;
  TimePoint next_start_{};
};

}  // namespace taps::detail
