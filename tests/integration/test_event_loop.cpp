// The loop's public types (Context, Timer, FdWatch, SignalWatch) as a tool uses them: real
// pipes, a real file, real signals. Times are only checked from below ("not before"), so
// that a loaded machine cannot fail them.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "taps/taps.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Pipe {
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd != -1) ::close(fd);
    }
  }
  // Hands the read end to an FdWatch, which owns it from then on.
  int take_read() { return std::exchange(fds[0], -1); }
  int take_write() { return std::exchange(fds[1], -1); }
  int fds[2] = {-1, -1};
};

}  // namespace

TEST_CASE("a Timer calls its function once, not before its time, never from inside start") {
  taps::Context ctx;
  taps::Timer timer(ctx);
  int calls = 0;
  auto started = Clock::now();
  Clock::time_point fired;
  timer.start(50ms, [&] {
    ++calls;
    fired = Clock::now();
    ctx.stop();
  });
  CHECK(timer.pending());
  CHECK(calls == 0);
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(calls == 1);
  CHECK(fired - started >= 50ms);
  CHECK_FALSE(timer.pending());
}

TEST_CASE("a cancelled or replaced Timer function is never called, even when its time had come") {
  taps::Context ctx;
  taps::Timer replaced(ctx), cancelled(ctx), first(ctx), second(ctx), end(ctx);
  std::vector<std::string> calls;
  replaced.start(0ms, [&] { calls.push_back("replaced"); });
  replaced.start(0ms, [&] { calls.push_back("replacement"); });
  cancelled.start(0ms, [&] { calls.push_back("cancelled"); });
  cancelled.cancel();
  CHECK_FALSE(cancelled.pending());
  // Both deadlines are past when the loop starts, so both are due in the same turn:
  // `first` cancels `second` after its time came, before its function ran.
  auto past = Clock::now();
  first.start_at(past, [&] {
    calls.push_back("first");
    second.cancel();
  });
  second.start_at(past + 1us, [&] { calls.push_back("second"); });
  std::this_thread::sleep_for(10ms);
  end.start(100ms, [&] { ctx.stop(); });
  REQUIRE(test::run_for(ctx, 5s));
  std::sort(calls.begin(), calls.end());
  CHECK(calls == std::vector<std::string>{"first", "replacement"});
}

TEST_CASE("a periodic Timer repeats until its function cancels it; a Timer may be destroyed from its function") {
  taps::Context ctx;
  taps::Timer periodic(ctx);
  int ticks = 0;
  auto started = Clock::now();
  periodic.start_periodic(10ms, [&] {
    if (++ticks == 5) periodic.cancel();
  });
  auto owned = std::make_unique<taps::Timer>(ctx);
  bool owned_ran = false;
  owned->start(20ms, [&] {
    owned_ran = true;
    owned.reset();
  });
  taps::Timer end(ctx);
  end.start(200ms, [&] { ctx.stop(); });
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(ticks == 5);
  CHECK(Clock::now() - started >= 50ms);
  CHECK(owned_ran);
  CHECK(owned == nullptr);
}

TEST_CASE("Context::run_for ends at its limit while work is pending; run() works again after stop()") {
  taps::Context ctx;
  taps::Timer late(ctx);
  bool late_ran = false;
  late.start(10s, [&] { late_ran = true; });
  auto started = Clock::now();
  CHECK_FALSE(ctx.run_for(50ms));
  CHECK(Clock::now() - started >= 50ms);
  CHECK_FALSE(late_ran);
  late.cancel();

  // post() from another thread, and a run() after the one stop() ended.
  int posted = 0;
  std::thread other([&] { ctx.post([&] {
    ++posted;
    ctx.stop();
  }); });
  other.join();
  taps::Timer keep_alive(ctx);
  keep_alive.start(10s, [] {});
  ctx.run();
  CHECK(posted == 1);
  ctx.post([&] {
    ++posted;
    ctx.stop();
  });
  ctx.run();
  CHECK(posted == 2);
}

TEST_CASE("FdWatch: readable once a pipe has data, writable once a full pipe drains") {
  taps::Context ctx;
  Pipe p;
  taps::FdWatch reader(ctx, p.take_read());
  CHECK((::fcntl(reader.fd(), F_GETFL) & O_NONBLOCK) != 0);
  char byte = 0;
  REQUIRE(::read(reader.fd(), &byte, 1) == -1);
  REQUIRE(errno == EAGAIN);
  std::string got;
  reader.wait_readable([&] {
    char buffer[16];
    auto n = ::read(reader.fd(), buffer, sizeof buffer);
    if (n > 0) got.assign(buffer, static_cast<std::size_t>(n));
    ctx.stop();
  });
  int write_end = p.fds[1];
  taps::Timer later(ctx);
  later.start(20ms, [&] { CHECK(::write(write_end, "hello", 5) == 5); });
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(got == "hello");

  // Fill the pipe through a watched write end, then drain it from the loop.
  Pipe q;
  taps::FdWatch writer(ctx, q.take_write());
  std::vector<char> block(65536, 'x');
  while (::write(writer.fd(), block.data(), block.size()) > 0) {
  }
  REQUIRE(errno == EAGAIN);
  bool writable = false;
  writer.wait_writable([&] {
    writable = ::write(writer.fd(), "y", 1) == 1;
    ctx.stop();
  });
  int read_end = q.fds[0];
  later.start(20ms, [&] {
    ::fcntl(read_end, F_SETFL, O_NONBLOCK);
    while (::read(read_end, block.data(), block.size()) > 0) {
    }
  });
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(writable);
}

TEST_CASE("FdWatch: a cancelled wait is not called; a regular file is always ready; close gives -1") {
  taps::Context ctx;
  Pipe p;
  taps::FdWatch watch(ctx, p.take_read());
  bool called = false;
  watch.wait_readable([&] { called = true; });
  watch.cancel();
  REQUIRE(::write(p.fds[1], "x", 1) == 1);

  char path[] = "/tmp/taps-fd-watch-XXXXXX";
  int file = ::mkstemp(path);
  REQUIRE(file != -1);
  ::unlink(path);
  REQUIRE(::write(file, "data", 4) == 4);
  taps::FdWatch regular(ctx, file);
  bool file_ready = false;
  regular.wait_readable([&] {
    file_ready = true;
    ctx.stop();
  });
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(file_ready);
  CHECK_FALSE(called);
  watch.close();
  CHECK(watch.fd() == -1);
}

TEST_CASE("SignalWatch: a signal arrives on the loop thread, until cancelled") {
  taps::Context ctx;
  std::vector<int> got;
  taps::SignalWatch watch(ctx, {SIGUSR1, SIGUSR2}, [&](int signo) {
    got.push_back(signo);
    if (got.size() == 2) ctx.stop();
  });
  ::raise(SIGUSR1);
  CHECK(got.empty());
  ::raise(SIGUSR2);
  REQUIRE(test::run_for(ctx, 5s));
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<int>{SIGUSR1, SIGUSR2});
  // Cancelled: still caught (so the process lives on), no more calls.
  taps::SignalWatch keep(ctx, {SIGUSR1}, [](int) {});
  watch.cancel();
  ::raise(SIGUSR1);
  taps::Timer end(ctx);
  end.start(50ms, [&] { ctx.stop(); });
  REQUIRE(test::run_for(ctx, 5s));
  CHECK(got.size() == 2);
}
