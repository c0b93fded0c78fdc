// The racer's timing rules (RFC 8305 sections 3 and 5), driven by a fake clock: every
// case runs in microseconds and checks exact start times.
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "racing/race_schedule.hpp"

using taps::detail::Candidate;
using taps::detail::RaceSchedule;
using namespace std::chrono_literals;

namespace {

// A clock that moves only when the test says so.
struct FakeClock {
  RaceSchedule::TimePoint now{};
  void advance_to(std::chrono::milliseconds t) { now = RaceSchedule::TimePoint{} + t; }
};

Candidate leaf(const char* address) {
  return {.stack = taps::Stack::tcp, .address = taps::detail::IpAddress(address), .port = 80};
}

// Every start at or before `until`, stepping the fake clock to each wake-up as the
// racer's timer would: (id, ms since 0).
std::vector<std::pair<int, long>> run_until(RaceSchedule& s, FakeClock& clock, std::chrono::milliseconds until) {
  std::vector<std::pair<int, long>> started;
  for (;;) {
    while (auto start = s.next(clock.now)) {
      started.emplace_back(start->id, std::chrono::duration_cast<std::chrono::milliseconds>(clock.now.time_since_epoch()).count());
    }
    auto wake = s.wake_at();
    if (!wake || *wake > RaceSchedule::TimePoint{} + until || *wake <= clock.now) break;
    clock.now = *wake;
  }
  clock.advance_to(until);
  return started;
}

using Starts = std::vector<std::pair<int, long>>;

}  // namespace

TEST_CASE("race schedule: attempts start one Connection Attempt Delay apart") {
  FakeClock clock;
  RaceSchedule s({250ms, 50ms, std::nullopt}, 1, clock.now);
  s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1"), leaf("192.0.2.2"), leaf("192.0.2.3")}, clock.now);
  CHECK(run_until(s, clock, 1000ms) == Starts{{1, 0}, {2, 250}, {3, 500}});
  CHECK(s.state() == RaceSchedule::State::racing);
}

TEST_CASE("race schedule: a failure starts the next attempt at once and the stagger restarts from there") {
  FakeClock clock;
  RaceSchedule s({100ms, 50ms, std::nullopt}, 1, clock.now);
  s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1"), leaf("192.0.2.2"), leaf("192.0.2.3")}, clock.now);
  CHECK(run_until(s, clock, 30ms) == Starts{{1, 0}});
  s.attempt_failed(1, clock.now);  // refused at 30 ms
  CHECK(run_until(s, clock, 129ms) == Starts{{2, 30}});
  CHECK(run_until(s, clock, 200ms) == Starts{{3, 130}});
}

TEST_CASE("race schedule: Resolution Delay waits 50 ms for AAAA after an A answer") {
  SUBCASE("AAAA arrives within the delay: IPv6 goes first") {
    FakeClock clock;
    RaceSchedule s({250ms, 50ms, std::nullopt}, 2, clock.now);
    clock.advance_to(10ms);
    s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1")}, clock.now);
    CHECK(run_until(s, clock, 40ms).empty());
    s.answered(RaceSchedule::Query::aaaa, true, {leaf("2001:db8::1"), leaf("192.0.2.1")}, clock.now);
    CHECK(run_until(s, clock, 40ms) == Starts{{1, 40}});
    CHECK(s.candidate(1).address.is_v6());
  }
  SUBCASE("AAAA is late: IPv4 starts at A + 50 ms, IPv6 joins the addresses not tried") {
    FakeClock clock;
    RaceSchedule s({250ms, 50ms, std::nullopt}, 2, clock.now);
    clock.advance_to(10ms);
    s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1"), leaf("192.0.2.2")}, clock.now);
    CHECK(run_until(s, clock, 100ms) == Starts{{1, 60}});
    s.answered(RaceSchedule::Query::aaaa, true, {leaf("2001:db8::1"), leaf("192.0.2.1"), leaf("192.0.2.2")},
               clock.now);
    CHECK(run_until(s, clock, 600ms) == Starts{{2, 310}, {3, 560}});
    CHECK(s.candidate(2).address.is_v6());
  }
  SUBCASE("AAAA first: no waiting for A") {
    FakeClock clock;
    RaceSchedule s({250ms, 50ms, std::nullopt}, 2, clock.now);
    clock.advance_to(5ms);
    s.answered(RaceSchedule::Query::aaaa, true, {leaf("2001:db8::1")}, clock.now);
    CHECK(run_until(s, clock, 5ms) == Starts{{1, 5}});
  }
  SUBCASE("an empty AAAA answer ends the wait") {
    FakeClock clock;
    RaceSchedule s({250ms, 50ms, std::nullopt}, 2, clock.now);
    s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1")}, clock.now);
    clock.advance_to(20ms);
    s.answered(RaceSchedule::Query::aaaa, false, {leaf("192.0.2.1")}, clock.now);
    CHECK(run_until(s, clock, 20ms) == Starts{{1, 20}});
  }
}

TEST_CASE("race schedule: failed only once every attempt failed and every query answered") {
  FakeClock clock;
  RaceSchedule s({250ms, 50ms, std::nullopt}, 2, clock.now);
  s.answered(RaceSchedule::Query::aaaa, true, {leaf("2001:db8::1")}, clock.now);
  CHECK(run_until(s, clock, 10ms) == Starts{{1, 0}});
  s.attempt_failed(1, clock.now);
  CHECK(run_until(s, clock, 20ms).empty());
  CHECK(s.state() == RaceSchedule::State::racing);  // A is still out
  s.answered(RaceSchedule::Query::a, false, {leaf("2001:db8::1")}, clock.now);
  CHECK(run_until(s, clock, 30ms).empty());
  CHECK(s.state() == RaceSchedule::State::failed);
}

TEST_CASE("race schedule: no address at all fails once both queries answered") {
  FakeClock clock;
  RaceSchedule s({250ms, 50ms, std::nullopt}, 2, clock.now);
  s.answered(RaceSchedule::Query::a, false, {}, clock.now);
  s.answered(RaceSchedule::Query::aaaa, false, {}, clock.now);
  CHECK(run_until(s, clock, 10ms).empty());
  CHECK(s.state() == RaceSchedule::State::failed);
}

TEST_CASE("race schedule: the establishment deadline ends the race, also a resumed one") {
  FakeClock clock;
  RaceSchedule s({250ms, 50ms, 600ms}, 1, clock.now);
  s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1"), leaf("192.0.2.2"), leaf("192.0.2.3"), leaf("192.0.2.4")},
             clock.now);
  CHECK(run_until(s, clock, 100ms) == Starts{{1, 0}});
  s.attempt_won(1);
  CHECK(s.state() == RaceSchedule::State::won);
  CHECK_FALSE(s.wake_at());
  s.resume(1, clock.now);  // its framer refused it at 100 ms
  CHECK(run_until(s, clock, 599ms) == Starts{{2, 100}, {3, 350}});
  CHECK(run_until(s, clock, 700ms).empty());
  CHECK(s.state() == RaceSchedule::State::timed_out);
  CHECK(s.running(2));
  CHECK(s.running(3));
}

TEST_CASE("race schedule: a win stops further starts") {
  FakeClock clock;
  RaceSchedule s({50ms, 50ms, std::nullopt}, 1, clock.now);
  s.answered(RaceSchedule::Query::a, true, {leaf("192.0.2.1"), leaf("192.0.2.2"), leaf("192.0.2.3")}, clock.now);
  CHECK(run_until(s, clock, 60ms) == Starts{{1, 0}, {2, 50}});
  s.attempt_won(2);
  CHECK(run_until(s, clock, 500ms).empty());
  CHECK_FALSE(s.running(1));
}
