// TransportProperties and select_stacks: the rules of DESIGN.md section 3 (Racing) as
// tables. Explicit Require/Prohibit prune; RFC defaults prune unless that would leave
// no stack; Prefer ranks; Avoid breaks ties.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "taps/properties.hpp"

using taps::Preference;
using taps::Stack;
using taps::TransportProperties;

namespace {

struct SelectionCase {
  std::string name;
  std::function<TransportProperties()> make;
  std::string stacks;                 // expected, best first ("udp,tcp"); empty when an error is expected
  std::vector<std::string> mentions;  // substrings the error must contain
};

std::string names(const std::vector<Stack>& stacks) {
  std::string out;
  for (auto s : stacks) out += (out.empty() ? "" : ",") + std::string(taps::to_string(s));
  return out;
}

void check_selection(const SelectionCase& c) {
  CAPTURE(c.name);
  auto selection = taps::select_stacks(c.make());
  CAPTURE(selection.error);
  CHECK(names(selection.stacks) == c.stacks);
  if (c.stacks.empty()) {
    CHECK_FALSE(selection.error.empty());
  } else {
    CHECK(selection.error.empty());
  }
  for (const auto& word : c.mentions) {
    CAPTURE(word);
    CHECK(selection.error.find(word) != std::string::npos);
  }
}

// Every RFC default except the ones that pick a stack, so that ranking decides.
TransportProperties neutral() {
  TransportProperties p;
  p.set("reliability", Preference::no_preference);
  p.set("preserveOrder", Preference::no_preference);
  p.set("congestionControl", Preference::no_preference);
  return p;
}

}  // namespace

TEST_CASE("select_stacks: table") {
  const std::vector<SelectionCase> cases{
      {"defaults", [] { return TransportProperties{}; }, "tcp", {}},
      {"reliable-inorder-stream profile", [] { return TransportProperties::reliable_inorder_stream(); },
       "tcp", {}},
      // The defaults that UDP lacks (preserveOrder, congestionControl) yield to the
      // explicit choice.
      {"reliability prohibit", [] { return TransportProperties{}.prohibit("reliability"); }, "udp", {}},
      {"unreliable-datagram profile", [] { return TransportProperties::unreliable_datagram(); }, "udp", {}},
      {"reliability require + preserveMsgBoundaries require",
       [] { return TransportProperties{}.require("reliability").require("preserveMsgBoundaries"); },
       "",
       {"reliability", "preserveMsgBoundaries"}},
      // The default reliability=require never yields: nobody loses reliability unasked.
      {"preserveMsgBoundaries require alone",
       [] { return TransportProperties{}.require("preserveMsgBoundaries"); },
       "",
       {"reliability=require", "preserveMsgBoundaries=require"}},
      // Prefer only ranks: the default reliability=require still prunes UDP.
      {"preserveMsgBoundaries prefer", [] { return TransportProperties{}.prefer("preserveMsgBoundaries"); },
       "tcp", {}},
      {"congestionControl prohibit: TCP has it and UDP is unreliable",
       [] { return TransportProperties{}.prohibit("congestionControl"); },
       "",
       {"reliability=require", "congestionControl=prohibit"}},
      {"congestionControl prohibit + reliability avoid",
       [] { return TransportProperties{}.prohibit("congestionControl").avoid("reliability"); },
       "udp", {}},
      {"keepAlive require", [] { return TransportProperties{}.require("keepAlive"); }, "tcp", {}},
      {"keepAlive require + reliability prohibit",
       [] { return TransportProperties{}.require("keepAlive").prohibit("reliability"); },
       "",
       {"keepAlive", "reliability"}},
      {"multistreaming require: no stack offers it", [] { return TransportProperties{}.require("multistreaming"); },
       "",
       {"multistreaming"}},
      {"properties no stack depends on", [] { return TransportProperties{}.prohibit("softErrorNotify"); },
       "tcp", {}},
      {"neutral: both, in the engine's order", neutral, "tcp,udp", {}},
      {"neutral + preserveMsgBoundaries prefer", [] { return neutral().prefer("preserveMsgBoundaries"); },
       "udp,tcp", {}},
      {"neutral + reliability avoid", [] { return neutral().avoid("reliability"); }, "udp,tcp", {}},
      {"neutral + zeroRttMsg prefer + keepAlive prefer + congestionControl prefer",
       [] { return neutral().prefer("zeroRttMsg").prefer("keepAlive").prefer("congestionControl"); },
       "tcp,udp", {}},
      {"neutral + prefer decides before avoid",
       [] { return neutral().prefer("zeroRttMsg").avoid("preserveMsgBoundaries"); },
       "udp,tcp", {}},
  };
  for (const auto& c : cases) check_selection(c);
}

// RFC 9622 section 6.2: reliable-message is reliable-inorder-stream with
// preserveMsgBoundaries required, so reliability stays required. Neither stack here
// offers both; UDP would silently drop the reliability the profile promises.
TEST_CASE("select_stacks: reliable-message profile has no stack in this build") {
  check_selection({"reliable-message profile", [] { return TransportProperties::reliable_message(); },
                   "",
                   {"preserveMsgBoundaries"}});
}

TEST_CASE("TransportProperties: defaults are RFC 9622's and not explicit") {
  TransportProperties p;
  CHECK(p.get("reliability") == Preference::require);
  CHECK(p.get("preserveMsgBoundaries") == Preference::no_preference);
  CHECK(p.get("multistreaming") == Preference::prefer);
  CHECK(p.get("congestionControl") == Preference::require);
  for (auto name : TransportProperties::selection_property_names()) {
    CAPTURE(name);
    CHECK_FALSE(p.is_explicit(name));
  }
  CHECK(p.direction() == taps::Direction::bidirectional);
  CHECK(p.interfaces().empty());
  CHECK_FALSE(p.connection.conn_timeout.has_value());
  CHECK(p.address_family == 0);
  CHECK(p.connection_attempt_delay == std::chrono::milliseconds(250));
  CHECK(p.resolution_delay == std::chrono::milliseconds(50));
}

TEST_CASE("TransportProperties: set marks a value explicit even at its default") {
  TransportProperties p;
  CHECK(p.set("reliability", Preference::require));
  CHECK(p.is_explicit("reliability"));
  CHECK(p.get("reliability") == Preference::require);
  CHECK(p != TransportProperties{});
}

TEST_CASE("TransportProperties: an unknown name is rejected and changes nothing") {
  TransportProperties p;
  CHECK_FALSE(p.set("relability", Preference::prohibit));
  CHECK_FALSE(p.set("", Preference::prohibit));
  CHECK_FALSE(p.set("Reliability", Preference::prohibit));
  CHECK(p == TransportProperties{});
  CHECK(p.get("relability") == Preference::no_preference);
  CHECK_FALSE(p.is_explicit("relability"));
  CHECK_THROWS_AS(p.require("relability"), std::invalid_argument);
  CHECK(p == TransportProperties{});
}

TEST_CASE("TransportProperties: every listed name is accepted") {
  const auto& names = TransportProperties::selection_property_names();
  CHECK(names.size() == 13);
  for (auto name : names) {
    CAPTURE(name);
    TransportProperties p;
    CHECK(p.set(name, Preference::avoid));
    CHECK(p.get(name) == Preference::avoid);
  }
}

TEST_CASE("TransportProperties: interface preferences") {
  TransportProperties p;
  p.set_interface("veth0", Preference::prefer).set_interface("lo", Preference::prohibit);
  p.set_interface("veth0", Preference::avoid);
  CHECK(p.interfaces() == std::map<std::string, Preference>{{"lo", Preference::prohibit},
                                                            {"veth0", Preference::avoid}});
}

TEST_CASE("Preference strings round trip") {
  const std::vector<std::pair<Preference, std::string_view>> table{
      {Preference::require, "require"},   {Preference::prefer, "prefer"},
      {Preference::no_preference, "noPreference"}, {Preference::avoid, "avoid"},
      {Preference::prohibit, "prohibit"},
  };
  for (const auto& row : table) {
    CAPTURE(row.second);
    CHECK(taps::to_string(row.first) == row.second);
    CHECK(taps::preference_from_string(row.second) == row.first);
  }
  for (std::string_view bad : {"", "Require", "no_preference", "nopreference", "required", "require "}) {
    CAPTURE(bad);
    CHECK_FALSE(taps::preference_from_string(bad).has_value());
  }
}

TEST_CASE("Direction strings round trip") {
  const std::vector<std::pair<taps::Direction, std::string_view>> table{
      {taps::Direction::bidirectional, "bidirectional"},
      {taps::Direction::unidirectional_send, "unidirectionalSend"},
      {taps::Direction::unidirectional_receive, "unidirectionalReceive"},
  };
  for (const auto& row : table) {
    CAPTURE(row.second);
    CHECK(taps::to_string(row.first) == row.second);
    CHECK(taps::direction_from_string(row.second) == row.first);
  }
  for (std::string_view bad : {"", "send", "unidirectional_send", "Bidirectional"}) {
    CAPTURE(bad);
    CHECK_FALSE(taps::direction_from_string(bad).has_value());
  }
}

TEST_CASE("Stack names") {
  CHECK(taps::to_string(Stack::tcp) == "tcp");
  CHECK(taps::to_string(Stack::udp) == "udp");
  CHECK(taps::to_string(Stack::tls) == "tls/tcp");
  CHECK(taps::to_string(Stack::quic) == "quic");
}

TEST_CASE("QUIC is selected only when multistreaming is set explicitly, and only with security") {
  auto tls = taps::SecurityParameters::tls();
  // The RFC default (multistreaming=prefer, implicit) leaves TLS over TCP alone.
  CHECK(names(taps::select_stacks(TransportProperties{}, tls).stacks) == "tls/tcp");
  TransportProperties required;
  required.require("multistreaming");
  CHECK(names(taps::select_stacks(required, tls).stacks) == "quic");
  auto plain = taps::select_stacks(required, taps::SecurityParameters::disabled());
  CHECK(plain.stacks.empty());
  CHECK(plain.error.find("needs security") != std::string::npos);
  TransportProperties preferred;
  preferred.prefer("multistreaming");
  CHECK(names(taps::select_stacks(preferred, tls).stacks) == "quic,tls/tcp");
  TransportProperties prohibited;
  prohibited.prohibit("multistreaming");
  CHECK(names(taps::select_stacks(prohibited, tls).stacks) == "tls/tcp");
  // QUIC streams carry bytes, not messages: a required message boundary rules it out.
  TransportProperties boundaries;
  boundaries.require("multistreaming").require("preserveMsgBoundaries");
  CHECK(taps::select_stacks(boundaries, tls).stacks.empty());
  // A framer makes the boundaries: then QUIC fits.
  CHECK(names(taps::select_stacks(boundaries, tls, true).stacks) == "quic");
}

TEST_CASE("security parameters turn TCP into TLS and never fall back to plaintext") {
  auto tls = taps::SecurityParameters::tls();
  CHECK(names(taps::select_stacks(TransportProperties{}, tls).stacks) == "tls/tcp");
  CHECK(names(taps::select_stacks(TransportProperties{}, taps::SecurityParameters::disabled()).stacks) == "tcp");
  // Framed TCP still needs no UDP; TLS keeps the framing choice.
  CHECK(names(taps::select_stacks(TransportProperties::reliable_message(), tls, true).stacks) == "tls/tcp");

  auto udp_only = taps::select_stacks(TransportProperties::unreliable_datagram(), tls);
  CHECK(udp_only.stacks.empty());
  CHECK(udp_only.error.find("needs TCP") != std::string::npos);
  CHECK(udp_only.error.find("udp") != std::string::npos);

  // An unsatisfiable selection keeps its own reason.
  TransportProperties none;
  none.require("preserveMsgBoundaries").require("congestionControl");
  auto plain_error = taps::select_stacks(none).error;
  CHECK(taps::select_stacks(none, tls).error == plain_error);
}
