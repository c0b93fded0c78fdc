// The shipped framers and the framer host, without sockets: bytes in, messages out.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "framing/framer_host.hpp"

using taps::Message;
using taps::MessageContext;
using taps::detail::FramerHost;

namespace {

// A framer stack with recording callbacks: what went to the wire, what was delivered.
struct Harness {
  std::vector<std::string> wire;
  std::vector<std::string> delivered;
  std::vector<bool> ends;
  std::vector<taps::Error> errors;
  bool ready = false;
  FramerHost host;

  Harness(std::vector<taps::FramerSpec> specs, bool datagram = false)
      : host(instances(specs), callbacks(), datagram) {
    host.start();
  }

  static std::vector<std::unique_ptr<taps::Framer>> instances(const std::vector<taps::FramerSpec>& specs) {
    std::vector<std::unique_ptr<taps::Framer>> v;
    for (const auto& s : specs) v.push_back(s.factory());
    return v;
  }

  FramerHost::Callbacks callbacks() {
    return {[this](Message m) { wire.emplace_back(m.as_string_view()); },
            [this](Message&& m, MessageContext&&, bool end) {
              delivered.emplace_back(m.as_string_view());
              ends.push_back(end);
            },
            [this] { ready = true; }, [this](taps::Error e) { errors.push_back(std::move(e)); }, {}};
  }

  void feed(std::string_view bytes) { host.received(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()); }

  std::string send(std::string_view message) {
    wire.clear();
    host.send(Message(message), {});
    std::string all;
    for (const auto& w : wire) all += w;
    return all;
  }
};

std::string lp(std::string_view payload) {
  auto n = payload.size();
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + std::string(payload);
}

// Feeds `wire` cut at `cuts` and returns what was delivered.
std::vector<std::string> deframe(const taps::FramerSpec& spec, const std::string& wire, const std::vector<std::size_t>& cuts) {
  Harness h({spec});
  std::size_t from = 0;
  for (auto cut : cuts) {
    h.feed(std::string_view(wire).substr(from, cut - from));
    from = cut;
  }
  h.feed(std::string_view(wire).substr(from));
  REQUIRE(h.errors.empty());
  CHECK(h.host.end_of_stream() == 0);
  return h.delivered;
}

void check_every_split(const taps::FramerSpec& spec, const std::string& wire, const std::vector<std::string>& expected) {
  CHECK(deframe(spec, wire, {}) == expected);  // coalesced
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < wire.size(); ++i) every.push_back(i);
  CHECK(deframe(spec, wire, every) == expected);  // byte by byte
  for (std::size_t i = 1; i < wire.size(); ++i) {
    CAPTURE(i);
    CHECK(deframe(spec, wire, {i}) == expected);  // split at every offset
  }
}

}  // namespace

TEST_CASE("line framer: adds and strips the newline") {
  Harness h({taps::line_framer()});
  CHECK(h.ready);
  CHECK(h.send("hello") == "hello\n");
  CHECK(h.send("") == "\n");
}

TEST_CASE("line framer: every split of the input gives the same lines") {
  check_every_split(taps::line_framer(), "a\nbb\n\nccc dd\n", {"a", "bb", "", "ccc dd"});
}

TEST_CASE("line framer: a line at the maximum passes and a longer one fails") {
  auto at_max = deframe(taps::line_framer(8), "12345678\n", {3});
  CHECK(at_max == std::vector<std::string>{"12345678"});
  Harness h({taps::line_framer(8)});
  h.feed("1234");
  CHECK(h.errors.empty());
  h.feed("56789");
  REQUIRE(h.errors.size() == 1);
  CHECK(h.errors.front().code == taps::errc::framing_error);
  CHECK(h.errors.front().message().find("8 bytes") != std::string::npos);
}

TEST_CASE("line framer: an unfinished line at the end of the stream is reported") {
  Harness h({taps::line_framer()});
  h.feed("done\npart");
  CHECK(h.delivered == std::vector<std::string>{"done"});
  CHECK(h.host.end_of_stream() == 4);
}

TEST_CASE("lp framer: big-endian length before each message") {
  Harness h({taps::length_prefix_framer()});
  CHECK(h.send("hi") == std::string("\0\0\0\2hi", 6));
  CHECK(h.send("") == std::string("\0\0\0\0", 4));
  std::string big(70000, 'x');
  CHECK(h.send(big) == lp(big));
  CHECK(h.wire.size() == 2);  // header and payload as two buffers: the payload is not copied
}

TEST_CASE("lp framer: every split of the input gives the same messages") {
  std::vector<std::string> messages{"", "a", "hello", std::string(300, 'z'), "\n\0\n"};
  std::string wire;
  for (const auto& m : messages) wire += lp(m);
  check_every_split(taps::length_prefix_framer(), wire, messages);
}

TEST_CASE("lp framer: a message larger than what has arrived is collected") {
  std::string big(1 << 20, 'q');
  big[12345] = 'r';
  std::string wire = lp(big) + lp("after");
  auto got = deframe(taps::length_prefix_framer(), wire, {2, 4, 5, 70000, 500000, wire.size() - 3});
  REQUIRE(got.size() == 2);
  CHECK(got[0] == big);
  CHECK(got[1] == "after");
}

TEST_CASE("lp framer: maximum size passes and a larger length fails at once") {
  auto ok = deframe(taps::length_prefix_framer(10), lp("0123456789"), {});
  CHECK(ok == std::vector<std::string>{"0123456789"});
  Harness h({taps::length_prefix_framer(10)});
  h.feed(lp("x") + std::string("\0\0\0\x0b", 4));
  CHECK(h.delivered == std::vector<std::string>{"x"});
  REQUIRE(h.errors.size() == 1);
  CHECK(h.errors.front().message() == "lp: message length 11 exceeds the maximum of 10 bytes");
  h.feed(lp("ignored"));
  CHECK(h.delivered.size() == 1);  // nothing after the failure
}

TEST_CASE("lp framer: malformed input") {
  SUBCASE("a length of 4 GiB - 1 with the default maximum") {
    Harness h({taps::length_prefix_framer()});
    h.feed(std::string("\xff\xff\xff\xff", 4));
    CHECK(h.errors.size() == 1);
  }
  SUBCASE("truncated header and truncated payload at the end of the stream") {
    Harness a({taps::length_prefix_framer()});
    a.feed(std::string("\0\0", 2));
    CHECK(a.host.end_of_stream() == 2);
    Harness b({taps::length_prefix_framer()});
    b.feed(lp("12345").substr(0, 7));
    CHECK(b.delivered.empty());
    CHECK(b.host.end_of_stream() == 5);
  }
}

TEST_CASE("stacked framers: lp over line round-trips and runs in the documented order") {
  // Added first: line (nearest the transport). Added last: lp (runs first on output).
  Harness sender({taps::line_framer(), taps::length_prefix_framer()});
  auto wire = sender.send("msg");
  CHECK(wire == lp("msg") + "\n");
  Harness receiver({taps::line_framer(), taps::length_prefix_framer()});
  std::string all;
  for (std::string m : {"one", "two", "", "four"}) all += sender.send(m);
  for (char c : all) receiver.feed(std::string_view(&c, 1));
  CHECK(receiver.errors.empty());
  CHECK(receiver.delivered == std::vector<std::string>{"one", "two", "", "four"});

  Harness reversed({taps::length_prefix_framer(), taps::line_framer()});
  CHECK(reversed.send("msg") == lp("msg\n"));
}

TEST_CASE("datagram mode: a framer sees one datagram at a time") {
  Harness h({taps::length_prefix_framer()}, true);
  h.feed(lp("a") + lp("bc"));
  CHECK(h.delivered == std::vector<std::string>{"a", "bc"});
  h.feed(lp("whole").substr(0, 6));  // the rest would be in no later datagram
  CHECK(h.errors.size() == 1);

  Harness lines({taps::line_framer()}, true);
  lines.feed("x\ny");  // a datagram ends its last line
  CHECK(lines.delivered == std::vector<std::string>{"x", "y"});
  CHECK(lines.send("m") == "m\n");
}

TEST_CASE("framer_by_name knows the shipped framers") {
  CHECK(taps::framer_by_name("line")->name == "line");
  CHECK(taps::framer_by_name("lp")->name == "lp");
  CHECK(!taps::framer_by_name("zstd"));
}

TEST_CASE("received_context names each datagram's endpoints; later() delivers afterwards") {
  // Holds every datagram, then delivers it later with its source as the message.
  struct Holding final : taps::Framer {
    taps::FramerContext::Later later;
    std::string_view name() const override { return "holding"; }
    void start(taps::FramerContext& ctx) override {
      later = ctx.later();
      ctx.make_ready();
    }
    void on_new_sent_message(taps::FramerContext&, Message, const MessageContext&) override {}
    void on_received_data(taps::FramerContext& ctx) override {
      std::string from = ctx.received_context().remote_endpoint + ">" + ctx.received_context().local_endpoint;
      later([from](taps::FramerContext& c) { c.deliver(Message(from), {}, true); });
    }
  };
  std::vector<std::string> delivered;
  std::vector<std::function<void(FramerHost&)>> scheduled;
  FramerHost::Callbacks callbacks{[](Message) {},
                                  [&](Message&& m, MessageContext&&, bool) { delivered.emplace_back(m.as_string_view()); },
                                  [] {}, [](taps::Error) {}, [&](std::function<void(FramerHost&)> fn) { scheduled.push_back(std::move(fn)); }};
  std::vector<std::unique_ptr<taps::Framer>> framers;
  framers.push_back(std::make_unique<Holding>());
  FramerHost host(std::move(framers), callbacks, true);
  host.start();
  MessageContext a, b;
  a.remote_endpoint = "192.0.2.1:40000";
  a.local_endpoint = "232.1.1.1:5001";
  b.remote_endpoint = "[2001:db8::1]:1";
  b.local_endpoint = "[ff3e::1]:2";
  host.received(reinterpret_cast<const std::uint8_t*>("x"), 1, a);
  host.received(reinterpret_cast<const std::uint8_t*>("y"), 1, b);
  CHECK(delivered.empty());
  REQUIRE(scheduled.size() == 2);
  for (auto& fn : scheduled) fn(host);
  CHECK(delivered == std::vector<std::string>{"192.0.2.1:40000>232.1.1.1:5001", "[2001:db8::1]:1>[ff3e::1]:2"});
}

// Partial sends (RFC 9622 9.2.3): what a message sent in pieces becomes on the wire.
namespace {

std::vector<std::string> send_in_pieces(Harness& h, const std::vector<std::string>& pieces) {
  h.wire.clear();
  for (std::size_t i = 0; i < pieces.size(); ++i) h.host.send(Message(pieces[i]), {}, i + 1 == pieces.size());
  return h.wire;
}

}  // namespace

TEST_CASE("partial send: the line framer passes each piece on and puts the newline after the last") {
  Harness h({taps::line_framer()});
  CHECK(send_in_pieces(h, {"ab", "cd", "ef"}) == std::vector<std::string>{"ab", "cd", "ef\n"});
  // An empty last piece still ends the line.
  CHECK(send_in_pieces(h, {"gh", ""}) == std::vector<std::string>{"gh", "\n"});
  // A whole message after it is framed as before.
  CHECK(h.send("ij") == "ij\n");
}

TEST_CASE("partial send: lp cannot prefix an unknown length, so it holds the pieces and frames the whole message") {
  Harness h({taps::length_prefix_framer()});
  h.wire.clear();
  h.host.send(Message("ab"), {}, false);
  h.host.send(Message("cd"), {}, false);
  CHECK(h.wire.empty());
  h.host.send(Message("ef"), {}, true);
  std::string all;
  for (const auto& w : h.wire) all += w;
  CHECK(all == lp("abcdef"));
  CHECK(h.send("x") == lp("x"));
}

TEST_CASE("partial send: line over lp streams through line, lp below holds until the end") {
  Harness h({taps::length_prefix_framer(), taps::line_framer()});
  h.wire.clear();
  h.host.send(Message("ab"), {}, false);
  CHECK(h.wire.empty());
  h.host.send(Message("cd"), {}, true);
  std::string all;
  for (const auto& w : h.wire) all += w;
  CHECK(all == lp("abcd\n"));
}

TEST_CASE("partial send: in datagram mode every message is whole") {
  Harness h({taps::line_framer()}, true);
  h.wire.clear();
  h.host.send(Message("ab"), {}, false);
  CHECK(h.wire == std::vector<std::string>{"ab\n"});
}
