// The send queue's order (RFC 9622 9.1.3.2 msgPriority, 9.1.3.5 final) and partial
// messages (9.2.3), without sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/send_queue.hpp"

using taps::Message;
using taps::MessageContext;
using taps::detail::SendQueue;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

MessageContext ctx(taps::MessageId id, int priority = 100, bool final = false) {
  MessageContext c;
  c.id = id;
  c.msg_priority = priority;
  c.final = final;
  return c;
}

// Everything the queue gives, as "bytes" per take, joined with '|' within one take.
std::vector<std::string> drain(SendQueue& q, bool datagram) {
  std::vector<std::string> out;
  while (q.has_next(datagram)) {
    std::string take;
    for (auto& p : q.next(datagram)) take += (take.empty() ? "" : "|") + std::string(p.bytes.as_string_view());
    out.push_back(take);
  }
  return out;
}

}  // namespace

TEST_CASE("send queue: a numerically lower msgPriority goes first, equal priorities keep send order") {
  SendQueue q;
  q.push(Message("a100"), ctx(1, 100), true, t0);
  q.push(Message("b5"), ctx(2, 5), true, t0);
  q.push(Message("c100"), ctx(3, 100), true, t0);
  q.push(Message("d0"), ctx(4, 0), true, t0);
  q.push(Message("e5"), ctx(5, 5), true, t0);
  CHECK(q.pieces() == 5);
  CHECK(drain(q, false) == std::vector<std::string>{"d0", "b5", "e5", "a100", "c100"});
  CHECK(q.empty());
  CHECK(q.pieces() == 0);
}

TEST_CASE("send queue: a final message goes last whatever its priority") {
  SendQueue q;
  q.push(Message("last"), ctx(1, 0, true), true, t0);
  q.push(Message("x"), ctx(2, 200), true, t0);
  CHECK(drain(q, false) == std::vector<std::string>{"x", "last"});
}

TEST_CASE("send queue: on a stream, a started partial message holds the queue until its end") {
  SendQueue q;
  q.push(Message("p1"), ctx(1, 100), false, t0);
  REQUIRE(q.open_message() == taps::MessageId{1});
  CHECK(drain(q, false) == std::vector<std::string>{"p1"});
  // More urgent, but the stream is inside message 1.
  q.push(Message("urgent"), ctx(2, 0), true, t0);
  CHECK(!q.has_next(false));
  q.append(Message("p2"), ctx(1), false);
  q.append(Message("p3"), ctx(1), true);
  CHECK(!q.open_message());
  CHECK(drain(q, false) == std::vector<std::string>{"p2|p3", "urgent"});
}

TEST_CASE("send queue: a partial message not started yet is ordered by its first piece's priority") {
  SendQueue q;
  q.push(Message("low-a"), ctx(1, 100), false, t0);
  q.push(Message("high"), ctx(2, 1), true, t0);
  q.append(Message("low-b"), ctx(1, 0), true);  // a later piece's priority does not count
  CHECK(drain(q, false) == std::vector<std::string>{"high", "low-a|low-b"});
}

TEST_CASE("send queue: on datagrams a message goes out whole, complete messages pass an open one") {
  SendQueue q;
  q.push(Message("a"), ctx(1), false, t0);
  q.push(Message("b"), ctx(2), true, t0);
  CHECK(drain(q, true) == std::vector<std::string>{"b"});
  CHECK(!q.has_next(true));
  q.append(Message("a2"), ctx(1), true);
  CHECK(drain(q, true) == std::vector<std::string>{"a|a2"});
}

TEST_CASE("send queue: the final flag is on the last piece only") {
  SendQueue q;
  q.push(Message("f1"), ctx(1, 100, true), false, t0);
  q.append(Message("f2"), ctx(1), true);
  auto pieces = q.next(false);
  REQUIRE(pieces.size() == 2);
  CHECK(!pieces[0].ctx.final);
  CHECK(pieces[1].ctx.final);
}

TEST_CASE("send queue: messages whose lifetime passed expire, started and open ones stay") {
  SendQueue q;
  auto with_lifetime = [](taps::MessageId id) {
    auto c = ctx(id);
    c.msg_lifetime = 10ms;
    return c;
  };
  q.push(Message("short"), with_lifetime(1), true, t0);
  q.push(Message("open"), with_lifetime(2), false, t0);
  q.push(Message("forever"), ctx(3), true, t0);
  CHECK(q.expire(t0 + 5ms).empty());
  auto expired = q.expire(t0 + 20ms);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].id == 1);
  CHECK(q.pieces() == 2);
  auto dropped = q.clear();
  CHECK(dropped.size() == 2);
  CHECK(q.empty());
}

TEST_CASE("send queue: the open message is found among thousands, wherever it waits") {
  SendQueue q;
  q.push(Message("early"), ctx(1, 50), true, t0);
  q.push(Message("open-a"), ctx(2, 100), false, t0);
  for (taps::MessageId id = 3; id < 3003; ++id) q.push(Message("w"), ctx(id, 100), true, t0);
  REQUIRE(q.open_message() == taps::MessageId{2});
  q.append(Message("open-b"), ctx(2), true);
  CHECK(!q.open_message());
  auto out = drain(q, false);
  REQUIRE(out.size() == 3002);
  CHECK(out[0] == "early");
  CHECK(out[1] == "open-a|open-b");
}

TEST_CASE("send queue: InitiateWithSend's message is pinned first and loses the bytes a SYN took") {
  SendQueue q;
  auto short_lived = ctx(1, 100);
  short_lived.msg_lifetime = 1ms;
  q.push(Message("first-message"), short_lived, true, t0);
  q.pin_front(1);
  q.push(Message("urgent"), ctx(2, 0), true, t0);
  CHECK(q.expire(t0 + 1s).empty());  // it may be in a SYN already
  q.drop_sent_bytes(6);
  CHECK(drain(q, false) == std::vector<std::string>{"message", "urgent"});
}
