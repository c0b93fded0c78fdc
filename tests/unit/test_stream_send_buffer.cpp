// The send side of a QUIC stream (quic/stream_send_buffer.hpp): bytes stay until
// acknowledged, sent events come in order once an item is wholly in packets, the final
// item waits for its FIN, and a FIN counts as acknowledged only when the peer has it.
#include <doctest/doctest.h>

#include "quic/stream_send_buffer.hpp"

using taps::detail::Outgoing;
using taps::detail::StreamSendBuffer;

namespace {

Outgoing item(std::size_t size, taps::MessageId id, bool final = false) {
  Outgoing out;
  out.message = taps::Message(std::vector<std::uint8_t>(size, 'x'));
  out.ctx.id = id;
  out.ctx.final = final;
  return out;
}

std::vector<taps::MessageId> ids(const std::vector<Outgoing>& done) {
  std::vector<taps::MessageId> out;
  for (const auto& o : done) out.push_back(o.ctx.id);
  return out;
}

}  // namespace

TEST_CASE("stream send buffer: partial writes report items in order, acks free them") {
  StreamSendBuffer b;
  b.push(item(100, 1));
  b.push(item(50, 2));
  CHECK(b.unwritten_bytes() == 150);
  auto spans = b.unwritten(16);
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].size() == 100);
  CHECK(ids(b.written(60, false)).empty());
  CHECK(b.unwritten(16).front().size() == 40);
  CHECK(ids(b.written(60, false)) == std::vector<taps::MessageId>{1});
  CHECK(ids(b.written(30, false)) == std::vector<taps::MessageId>{2});
  CHECK(b.idle());
  CHECK(b.held_bytes() == 150);
  b.acked(0, 100);
  CHECK(b.held_bytes() == 50);
  b.acked(100, 50);
  CHECK(b.held_bytes() == 0);
  CHECK_FALSE(b.fin_acked());
}

TEST_CASE("stream send buffer: the final item goes with the FIN") {
  StreamSendBuffer b;
  b.push(item(10, 1, true));
  CHECK(b.fin_pending());
  // The bytes went, the FIN did not fit: no sent event yet.
  CHECK(ids(b.written(10, false)).empty());
  CHECK(b.fin_pending());
  CHECK(ids(b.written(0, true)) == std::vector<taps::MessageId>{1});
  CHECK(b.fin_written());
  b.acked(0, 10);
  // The FIN went alone: the bytes' ack is not the FIN's.
  CHECK_FALSE(b.fin_acked());
  b.acked(10, 0);
  CHECK(b.fin_acked());
}

TEST_CASE("stream send buffer: a FIN written with the last bytes is acknowledged with them") {
  StreamSendBuffer b;
  b.push(item(10, 1));
  b.push(item(5, 2, true));
  CHECK(ids(b.written(15, true)) == std::vector<taps::MessageId>{1, 2});
  b.acked(0, 10);
  CHECK_FALSE(b.fin_acked());
  b.acked(10, 5);
  CHECK(b.fin_acked());
}

TEST_CASE("stream send buffer: an empty final message (close) is the FIN alone") {
  StreamSendBuffer b;
  b.push(item(4, 1));
  CHECK(ids(b.written(4, false)) == std::vector<taps::MessageId>{1});
  b.acked(0, 4);
  Outgoing close;
  close.ctx.final = true;
  b.push(std::move(close));
  CHECK(b.unwritten(16).empty());
  CHECK(b.fin_pending());
  CHECK(b.written(0, true).size() == 1);
  CHECK_FALSE(b.fin_acked());
  b.acked(4, 0);
  CHECK(b.fin_acked());
}
