#include "taps/properties.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "transport/protocol.hpp"

namespace taps {
namespace {

using detail::Protocol;

// The selection properties by which stacks differ; what each stack offers is its
// registry entry's (transport/protocol_registry.cpp). No stack offers perMsgReliability:
// requiring it rules every stack out.
constexpr std::array<std::string_view, 10> stack_dependent{
    "reliability",    "preserveMsgBoundaries", "perMsgReliability", "preserveOrder",     "zeroRttMsg",
    "multistreaming", "fullChecksumSend",      "fullChecksumRecv",  "congestionControl", "keepAlive"};

bool offers(const Protocol& s, std::string_view property, bool framed) {
  if (framed && property == "preserveMsgBoundaries") return true;
  return std::find(s.offers.begin(), s.offers.end(), property) != s.offers.end();
}

bool satisfies(const Protocol& s, std::string_view property, Preference p, bool framed) {
  switch (p) {
    case Preference::require: return offers(s, property, framed);
    case Preference::prohibit: return !offers(s, property, framed);
    case Preference::prefer:
    case Preference::no_preference:
    case Preference::avoid: return true;
  }
  return true;
}

// The default reliability=require is as hard as an explicit choice: nobody loses
// reliability without asking.
bool is_hard(const TransportProperties& props, std::string_view property) {
  return props.is_explicit(property) || property == "reliability";
}

std::string hard_constraints(const TransportProperties& props) {
  std::string list;
  for (auto name : stack_dependent) {
    auto p = props.get(name);
    if (!is_hard(props, name) || (p != Preference::require && p != Preference::prohibit)) continue;
    list += fmt::format("{}{}={}", list.empty() ? "" : ", ", name, to_string(p));
  }
  return list;
}

std::string names_of(const std::vector<Stack>& stacks) {
  std::string list;
  for (auto s : stacks) list += (list.empty() ? "" : ", ") + std::string(to_string(s));
  return list;
}

// Explicit Require and Prohibit prune, and so does the default reliability=require.
// The other defaults prune too but yield to an explicit choice: "reliability: prohibit"
// alone must give UDP, even though the RFC's defaults also require preserveOrder and
// congestionControl, which UDP lacks. Then Prefer ranks and Avoid breaks ties.
std::vector<Stack> select_among(std::vector<const Protocol*> stacks, const TransportProperties& props, bool framed) {
  for (auto name : stack_dependent) {
    auto p = props.get(name);
    if (!is_hard(props, name)) continue;
    std::erase_if(stacks, [&](const Protocol* s) { return !satisfies(*s, name, p, framed); });
  }
  for (auto name : stack_dependent) {
    if (is_hard(props, name)) continue;
    auto kept = stacks;
    std::erase_if(kept, [&](const Protocol* s) { return !satisfies(*s, name, props.get(name), framed); });
    if (!kept.empty()) stacks = std::move(kept);
  }
  auto count = [&](const Protocol* s, Preference wanted) {
    int n = 0;
    for (auto name : stack_dependent) n += props.get(name) == wanted && offers(*s, name, framed);
    return n;
  };
  std::stable_sort(stacks.begin(), stacks.end(), [&](const Protocol* a, const Protocol* b) {
    int pa = count(a, Preference::prefer), pb = count(b, Preference::prefer);
    if (pa != pb) return pa > pb;
    return count(a, Preference::avoid) < count(b, Preference::avoid);
  });
  std::vector<Stack> selected;
  for (const auto* s : stacks) selected.push_back(s->stack);
  return selected;
}

// A stack with `only_when_asked` is a candidate once that property is explicitly
// required or preferred.
bool asked_for(const Protocol& s, const TransportProperties& props) {
  if (s.only_when_asked.empty()) return true;
  auto p = props.get(s.only_when_asked);
  return props.is_explicit(s.only_when_asked) && (p == Preference::require || p == Preference::prefer);
}

std::vector<const Protocol*> candidates(const TransportProperties& props, bool secure) {
  std::vector<const Protocol*> found;
  for (const auto* s : detail::all_protocols()) {
    if (s->secure == secure && asked_for(*s, props)) found.push_back(s);
  }
  return found;
}

}  // namespace

std::string_view to_string(Preference p) noexcept {
  switch (p) {
    case Preference::require: return "require";
    case Preference::prefer: return "prefer";
    case Preference::no_preference: return "noPreference";
    case Preference::avoid: return "avoid";
    case Preference::prohibit: return "prohibit";
  }
  return "noPreference";
}

std::optional<Preference> preference_from_string(std::string_view s) noexcept {
  for (auto p : {Preference::require, Preference::prefer, Preference::no_preference,
                 Preference::avoid, Preference::prohibit}) {
    if (s == to_string(p)) return p;
  }
  return std::nullopt;
}

std::string_view to_string(Direction d) noexcept {
  switch (d) {
    case Direction::bidirectional: return "bidirectional";
    case Direction::unidirectional_send: return "unidirectionalSend";
    case Direction::unidirectional_receive: return "unidirectionalReceive";
  }
  return "bidirectional";
}

std::optional<Direction> direction_from_string(std::string_view s) noexcept {
  for (auto d : {Direction::bidirectional, Direction::unidirectional_send,
                 Direction::unidirectional_receive}) {
    if (s == to_string(d)) return d;
  }
  return std::nullopt;
}

std::string_view to_string(Stack s) noexcept { return detail::protocol_for(s).name; }

const std::vector<std::string_view>& TransportProperties::selection_property_names() {
  static const std::vector<std::string_view> names{
      "reliability",      "preserveMsgBoundaries", "perMsgReliability",
      "preserveOrder",    "zeroRttMsg",            "multistreaming",
      "fullChecksumSend", "fullChecksumRecv",      "congestionControl",
      "keepAlive",        "useTemporaryLocalAddress", "softErrorNotify",
      "activeReadBeforeSend"};
  return names;
}

TransportProperties::TransportProperties() {
  // RFC 9622 section 6.2 defaults.
  auto def = [this](std::string_view n, Preference p) { selection_[std::string(n)] = {p, false}; };
  def("reliability", Preference::require);
  def("preserveMsgBoundaries", Preference::no_preference);
  def("perMsgReliability", Preference::no_preference);
  def("preserveOrder", Preference::require);
  def("zeroRttMsg", Preference::no_preference);
  def("multistreaming", Preference::prefer);
  def("fullChecksumSend", Preference::require);
  def("fullChecksumRecv", Preference::require);
  def("congestionControl", Preference::require);
  def("keepAlive", Preference::no_preference);
  def("useTemporaryLocalAddress", Preference::prefer);
  def("softErrorNotify", Preference::no_preference);
  def("activeReadBeforeSend", Preference::no_preference);
}

TransportProperties TransportProperties::reliable_inorder_stream() { return {}; }

TransportProperties TransportProperties::reliable_message() {
  TransportProperties p;
  p.require("reliability").require("preserveMsgBoundaries");
  return p;
}

TransportProperties TransportProperties::unreliable_datagram() {
  TransportProperties p;
  p.avoid("reliability").avoid("preserveOrder").require("preserveMsgBoundaries");
  p.set("congestionControl", Preference::no_preference);
  return p;
}

bool TransportProperties::set(std::string_view name, Preference p) {
  auto it = selection_.find(name);
  if (it == selection_.end()) return false;
  it->second = {p, true};
  return true;
}

TransportProperties& TransportProperties::checked_set(std::string_view name, Preference p) {
  if (!set(name, p)) throw std::invalid_argument("unknown selection property: " + std::string(name));
  return *this;
}

Preference TransportProperties::get(std::string_view name) const {
  auto it = selection_.find(name);
  return it == selection_.end() ? Preference::no_preference : it->second.preference;
}

bool TransportProperties::is_explicit(std::string_view name) const {
  auto it = selection_.find(name);
  return it != selection_.end() && it->second.is_explicit;
}

TransportProperties& TransportProperties::set_interface(std::string name, Preference p) {
  interfaces_[std::move(name)] = p;
  return *this;
}

StackSelection select_stacks(const TransportProperties& props, bool framed) {
  auto stacks = select_among(candidates(props, false), props, framed);
  if (stacks.empty()) {
    std::vector<Stack> all;
    for (const auto* s : detail::all_protocols()) all.push_back(s->stack);
    return {{}, fmt::format("no protocol stack satisfies {} (stacks: {})", hard_constraints(props), names_of(all))};
  }
  return {stacks, {}};
}

StackSelection select_stacks(const TransportProperties& props, const SecurityParameters& security, bool framed) {
  auto plain = select_stacks(props, framed);
  auto secure_candidates = candidates(props, true);
  if (security.is_disabled()) {
    if (!plain.stacks.empty()) return plain;
    auto secure = select_among(secure_candidates, props, framed);
    if (secure.empty()) return plain;
    return {{}, fmt::format("{} selects {}, which needs security (allowedSecurityProtocols tls1.3)",
                            hard_constraints(props), names_of(secure))};
  }
  auto secure = select_among(secure_candidates, props, framed);
  if (secure.empty()) {
    if (plain.stacks.empty()) return plain;
    std::string carriers;
    for (const auto* s : secure_candidates) {
      if (!s->without_security) continue;
      std::string carrier(to_string(*s->without_security));
      std::transform(carrier.begin(), carrier.end(), carrier.begin(), [](unsigned char c) { return std::toupper(c); });
      carriers += (carriers.empty() ? "" : " or ") + carrier;
    }
    return {{}, fmt::format("allowedSecurityProtocols (TLS) needs {}, which the transport properties rule out (they "
                            "select {})",
                            carriers.empty() ? std::string("a secure stack") : carriers, names_of(plain.stacks))};
  }
  // The user consented to plaintext: it races after every secure stack, never before.
  if (security.opportunistic_security) {
    auto with_security = secure;
    for (auto s : with_security) {
      if (auto bare = detail::protocol_for(s).without_security) secure.push_back(*bare);
    }
  }
  return {secure, {}};
}

}  // namespace taps
