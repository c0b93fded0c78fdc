#include "taps/properties.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace taps {
namespace {

// What each stack offers, per selection property (RFC 9623 sections 10.1 and 10.2).
// Properties that do not depend on the stack (useTemporaryLocalAddress,
// softErrorNotify, activeReadBeforeSend) are not in this table: no stack is pruned
// or ranked by them.
// QUIC: zeroRttMsg is not offered until 0-RTT is built (DESIGN.md section 10).
struct Feature {
  std::string_view name;
  bool tcp;
  bool udp;
  bool quic;
};
constexpr std::array<Feature, 10> stack_features{{
    {"reliability", true, false, true},
    {"preserveMsgBoundaries", false, true, false},
    {"perMsgReliability", false, false, false},
    {"preserveOrder", true, false, true},
    {"zeroRttMsg", false, true, false},
    {"multistreaming", false, false, true},
    {"fullChecksumSend", true, true, true},
    {"fullChecksumRecv", true, true, true},
    {"congestionControl", true, false, true},
    {"keepAlive", true, false, true},
}};

constexpr std::array<Stack, 2> all_stacks{Stack::tcp, Stack::udp};

bool offers(Stack s, const Feature& f, bool framed) {
  if (framed && f.name == "preserveMsgBoundaries") return true;
  switch (s) {
    case Stack::tcp:
    case Stack::tls: return f.tcp;  // TLS adds security, not transport features
    case Stack::udp: return f.udp;
    case Stack::quic: return f.quic;
  }
  return false;
}

bool satisfies(Stack s, const Feature& f, Preference p, bool framed) {
  switch (p) {
    case Preference::require: return offers(s, f, framed);
    case Preference::prohibit: return !offers(s, f, framed);
    case Preference::prefer:
    case Preference::no_preference:
    case Preference::avoid: return true;
  }
  return true;
}

// Whether quic meets every hard constraint (explicit Require and Prohibit, and the
// default reliability=require), as select_stacks prunes the others.
bool quic_fits(const TransportProperties& props, bool framed) {
  for (const auto& f : stack_features) {
    auto p = props.get(f.name);
    bool hard = props.is_explicit(f.name) || f.name == "reliability";
    if (hard && !satisfies(Stack::quic, f, p, framed)) return false;
  }
  return true;
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

std::string_view to_string(Stack s) noexcept {
  switch (s) {
    case Stack::tcp: return "tcp";
    case Stack::udp: return "udp";
    case Stack::tls: return "tls/tcp";
    case Stack::quic: return "quic";
  }
  return "tcp";
}

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

// Explicit Require and Prohibit prune, and so does the default reliability=require:
// nobody loses reliability without asking. The other defaults prune too but yield to
// an explicit choice: "reliability: prohibit" alone must give UDP, even though the
// RFC's defaults also require preserveOrder and congestionControl, which UDP lacks.
// Then Prefer ranks and Avoid breaks ties.
StackSelection select_stacks(const TransportProperties& props, bool framed) {
  std::vector<Stack> stacks(all_stacks.begin(), all_stacks.end());
  std::vector<std::string> explicit_constraints;
  for (const auto& f : stack_features) {
    auto p = props.get(f.name);
    bool hard = props.is_explicit(f.name) || f.name == "reliability";
    if (!hard || (p != Preference::require && p != Preference::prohibit)) continue;
    explicit_constraints.push_back(std::string(f.name) + "=" + std::string(to_string(p)));
    std::erase_if(stacks, [&](Stack s) { return !satisfies(s, f, p, framed); });
  }
  if (stacks.empty()) {
    std::string list;
    for (const auto& c : explicit_constraints) list += (list.empty() ? "" : ", ") + c;
    return {{}, "no protocol stack satisfies " + list + " (available: tcp, udp)"};
  }
  for (const auto& f : stack_features) {
    auto p = props.get(f.name);
    if (props.is_explicit(f.name) || f.name == "reliability") continue;
    auto kept = stacks;
    std::erase_if(kept, [&](Stack s) { return !satisfies(s, f, p, framed); });
    if (!kept.empty()) stacks = std::move(kept);
  }
  auto count = [&](Stack s, Preference wanted) {
    int n = 0;
    for (const auto& f : stack_features) n += props.get(f.name) == wanted && offers(s, f, framed);
    return n;
  };
  std::stable_sort(stacks.begin(), stacks.end(), [&](Stack a, Stack b) {
    int pa = count(a, Preference::prefer), pb = count(b, Preference::prefer);
    if (pa != pb) return pa > pb;
    return count(a, Preference::avoid) < count(b, Preference::avoid);
  });
  return {stacks, {}};
}

StackSelection select_stacks(const TransportProperties& props, const SecurityParameters& security, bool framed) {
  auto multistreaming = props.get("multistreaming");
  bool quic_asked = props.is_explicit("multistreaming") &&
                    (multistreaming == Preference::require || multistreaming == Preference::prefer);
  if (quic_asked && !security.is_disabled() && !security.opportunistic_security) {
    bool fits = quic_fits(props, framed);
    if (multistreaming == Preference::require) {
      if (fits) return {{Stack::quic}, {}};
      return {{}, "multistreaming=require selects QUIC, which the other transport properties rule out (it is a "
                  "reliable, ordered byte stream per stream)"};
    }
    auto others = props;
    others.set("multistreaming", Preference::no_preference);
    auto rest = select_stacks(others, security, framed);
    if (!fits) return rest;
    rest.stacks.insert(rest.stacks.begin(), Stack::quic);
    rest.error.clear();
    return rest;
  }
  if (quic_asked && security.is_disabled() && multistreaming == Preference::require) {
    return {{}, "multistreaming=require selects QUIC, which needs security (allowedSecurityProtocols tls1.3)"};
  }
  auto selection = select_stacks(props, framed);
  if (security.is_disabled() || selection.stacks.empty()) return selection;
  std::vector<Stack> secure;
  for (auto s : selection.stacks) {
    if (s == Stack::tcp) secure.push_back(Stack::tls);
  }
  // The user consented to plaintext: it races after TLS, never before it.
  if (security.opportunistic_security && !secure.empty()) secure.push_back(Stack::tcp);
  if (secure.empty()) {
    std::string selected;
    for (auto s : selection.stacks) selected += (selected.empty() ? "" : ", ") + std::string(to_string(s));
    return {{}, "allowedSecurityProtocols (TLS) needs TCP, which the transport properties rule out (they select " +
                    selected + ")"};
  }
  return {secure, {}};
}

}  // namespace taps
