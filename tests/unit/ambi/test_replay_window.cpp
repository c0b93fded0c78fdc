// The anti-replay window by packet sequence number (DESIGN.md 6.5).
#include <doctest/doctest.h>

#include "ambi/replay_window.hpp"

using ambi::ReplayWindow;
using Slot = ReplayWindow::Slot;

TEST_CASE("replay window: retired slots stay retired while in the window") {
  ReplayWindow w(64);
  CHECK(w.size() == 64);
  CHECK(w.memory_bytes() == 8);
  CHECK(w.check(100) == Slot::fresh);
  w.learn(100);
  w.learn(101);
  w.retire(100);
  CHECK(w.check(100) == Slot::retired);
  CHECK(w.check(101) == Slot::fresh);
  CHECK(w.check(99) == Slot::fresh);  // never learned, in the window: may come late
  CHECK(w.check(101 - 63) == Slot::fresh);
  CHECK(w.check(101 - 64) == Slot::too_old);
  CHECK(w.check(5000) == Slot::fresh);
  // Moving forward by less than the window keeps 100 retired; slots that enter are fresh.
  w.learn(163);
  CHECK(w.check(100) == Slot::retired);
  CHECK(w.check(164 - 64) == Slot::retired);
  w.learn(164);
  CHECK(w.check(100) == Slot::too_old);
  CHECK(w.check(164) == Slot::fresh);  // shares 100's bit, which was cleared
}

TEST_CASE("replay window: a jump past the window clears it") {
  ReplayWindow w(64);
  for (std::uint32_t s = 0; s < 64; ++s) {
    w.learn(s);
    w.retire(s);
  }
  w.learn(1000);
  for (std::uint32_t s = 1000 - 63; s <= 1000; ++s) CHECK(w.check(s) == Slot::fresh);
  CHECK(w.check(1000 - 64) == Slot::too_old);
}

TEST_CASE("replay window: serial arithmetic across the wrap") {
  ReplayWindow w(100);  // rounded up
  CHECK(w.size() == 128);
  w.learn(0xfffffffeu);
  w.retire(0xfffffffeu);
  w.learn(3);
  w.retire(1);
  CHECK(w.check(0xfffffffeu) == Slot::retired);
  CHECK(w.check(0xffffffffu) == Slot::fresh);
  CHECK(w.check(1) == Slot::retired);
  CHECK(w.check(3) == Slot::fresh);
  CHECK(w.check(3u - 128u) == Slot::too_old);
  CHECK(w.check(3u + 0x80000000u) == Slot::too_old);  // half the space away: behind
  CHECK(w.check(2u + 0x80000000u) == Slot::fresh);    // just under: ahead
}
