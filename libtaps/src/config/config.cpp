#include "taps/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace taps {
namespace {

// Ordered, so that an error names the first bad key in document order and the printed
// configuration reads top-down like the example in DESIGN.md.
using Json = nlohmann::ordered_json;
using Keys = std::vector<std::string_view>;

// Thrown only inside this file, so that every check stops the parse in one line;
// preconnection_from_json turns it into an Error.
struct Invalid {
  std::string detail;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Invalid{path + ": " + what};
}

// Dots for plain names, brackets for the rest: "$.transportProperties[\"_taps.addressFamily\"]"
// must not read as a nested key.
std::string member_path(const std::string& path, std::string_view key) {
  bool plain = !key.empty() && std::isdigit(static_cast<unsigned char>(key[0])) == 0 &&
               std::ranges::all_of(key, [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
  return plain ? path + "." + std::string(key) : path + "[" + Json(key).dump() + "]";
}

std::string element_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void check_keys(const Json& object, const std::string& path, const Keys& known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (std::ranges::find(known, key) != known.end()) continue;
    std::string what = "unknown key";
    if (auto closest = closest_name(key, known)) what += " (did you mean " + std::string(*closest) + "?)";
    fail(member_path(path, key), what);
  }
}

void expect(bool ok, const Json& v, const std::string& path, std::string_view what) {
  if (!ok) fail(path, "expected " + std::string(what) + ", got " + v.type_name());
}

// Calls read(value, path) when the object has the key.
template <class Read>
void with_member(const Json& object, const std::string& path, const std::string& key, Read&& read) {
  if (auto it = object.find(key); it != object.end()) read(*it, member_path(path, key));
}

const std::string& get_string(const Json& v, const std::string& path) {
  expect(v.is_string(), v, path, "a string");
  return v.get_ref<const std::string&>();
}

// Empty names are never valid and would otherwise mean "any" further down the engine.
const std::string& get_name(const Json& v, const std::string& path) {
  const std::string& s = get_string(v, path);
  if (s.empty()) fail(path, "must not be empty");
  return s;
}

std::vector<std::string> get_strings(const Json& v, const std::string& path) {
  expect(v.is_array(), v, path, "an array");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(get_name(v[i], element_path(path, i)));
  return out;
}

// `out_of_range` follows the value in the message: "70000 is not a port (0-65535)".
std::int64_t get_integer(const Json& v, const std::string& path, std::int64_t lo, std::int64_t hi,
                         std::string_view out_of_range) {
  expect(v.is_number_integer(), v, path, "an integer");
  // Non-negative numbers are stored unsigned: a huge one must not wrap into range.
  bool in_range = v.is_number_unsigned()
                      ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) && v.get<std::int64_t>() >= lo
                      : v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
  if (!in_range) fail(path, v.dump() + " " + std::string(out_of_range));
  return v.get<std::int64_t>();
}

Preference get_preference(const Json& v, const std::string& path) {
  auto p = preference_from_string(get_string(v, path));
  if (!p) fail(path, "expected one of require, prefer, noPreference, avoid, prohibit, got " + v.dump());
  return *p;
}

bool is_ip_literal(const std::string& s) {
  unsigned char buffer[sizeof(in6_addr)];
  if (inet_pton(AF_INET, s.c_str(), buffer) == 1) return true;
  auto percent = s.find('%');
  if (percent != std::string::npos && percent + 1 == s.size()) return false;
  return inet_pton(AF_INET6, s.substr(0, percent).c_str(), buffer) == 1;
}

// An IP literal, or a failure naming the path.
std::string get_address(const Json& v, const std::string& path) {
  const std::string& address = get_name(v, path);
  if (!is_ip_literal(address)) fail(path, v.dump() + " is not an IPv4 or IPv6 address");
  return address;
}

// A local endpoint's multicast membership (RFC 9622 6.1.1): the group, its sources (SSM)
// or the sources it excludes (_taps, ASM minus those).
void read_multicast(const Json& e, const std::string& at, LocalEndpoint& endpoint) {
  std::string group;
  with_member(e, at, "multicastGroup", [&](const Json& m, const std::string& p) {
    group = get_address(m, p);
    endpoint.with_any_source_multicast_group(group);
  });
  auto addresses = [](const Json& m, const std::string& p) {
    expect(m.is_array(), m, p, "an array of addresses");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < m.size(); ++i) out.push_back(get_address(m[i], element_path(p, i)));
    return out;
  };
  with_member(e, at, "multicastSources", [&](const Json& m, const std::string& p) {
    if (group.empty()) fail(p, "sources need a multicastGroup");
    for (const auto& source : addresses(m, p)) endpoint.with_single_source_multicast_group(group, source);
  });
  with_member(e, at, "_taps.excludedSources", [&](const Json& m, const std::string& p) {
    for (const auto& source : addresses(m, p)) endpoint.with_excluded_multicast_source(source);
  });
}

template <class Endpoint>
std::vector<Endpoint> read_endpoints(const Json& v, const std::string& path) {
  static const Keys keys = std::is_same_v<Endpoint, LocalEndpoint>
                               ? Keys{"hostName", "port", "ipAddress", "interface", "multicastGroup",
                                      "multicastSources", "_taps.excludedSources"}
                               : Keys{"hostName", "port", "ipAddress", "interface"};
  expect(v.is_array(), v, path, "an array");
  std::vector<Endpoint> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = element_path(path, i);
    const Json& e = v[i];
    expect(e.is_object(), e, at, "an object");
    check_keys(e, at, keys);
    Endpoint& endpoint = out.emplace_back();
    with_member(e, at, "hostName", [&](const Json& m, const std::string& p) { endpoint.with_host_name(get_name(m, p)); });
    with_member(e, at, "port", [&](const Json& m, const std::string& p) {
      endpoint.with_port(static_cast<std::uint16_t>(get_integer(m, p, 0, 65535, "is not a port (0-65535)")));
    });
    with_member(e, at, "ipAddress", [&](const Json& m, const std::string& p) {
      const std::string& address = get_name(m, p);
      if (!is_ip_literal(address)) fail(p, m.dump() + " is not an IPv4 or IPv6 address");
      endpoint.with_ip_address(address);
    });
    with_member(e, at, "interface", [&](const Json& m, const std::string& p) { endpoint.with_interface(get_name(m, p)); });
    if constexpr (std::is_same_v<Endpoint, LocalEndpoint>) read_multicast(e, at, endpoint);
  }
  return out;
}

TransportProperties profile_named(const Json& v, const std::string& path) {
  const std::string& name = get_string(v, path);
  if (name == "reliable-inorder-stream") return TransportProperties::reliable_inorder_stream();
  if (name == "reliable-message") return TransportProperties::reliable_message();
  if (name == "unreliable-datagram") return TransportProperties::unreliable_datagram();
  fail(path, "expected one of reliable-inorder-stream, reliable-message, unreliable-datagram, got " + v.dump());
}

// A connection property (RFC 9622 section 8): the JSON value as the API takes it, checked
// by the property table itself so that the config and set_property agree.
void read_connection_property(const Json& m, const std::string& path, std::string_view name,
                              ConnectionProperties& props) {
  PropertyValue value;
  if (m.is_boolean()) value = m.get<bool>();
  else if (m.is_number_integer()) value = m.get<std::int64_t>();
  else if (m.is_string()) value = m.get<std::string>();
  else if (!m.is_null()) fail(path, std::string("expected a boolean, an integer, a string or null, got ") + m.type_name());
  if (auto e = props.set(name, value)) {
    std::string_view detail = e->detail;
    // The path names the property already.
    if (detail.starts_with(name) && detail.substr(name.size()).starts_with(": ")) detail.remove_prefix(name.size() + 2);
    fail(path, std::string(detail));
  }
}

TransportProperties read_transport_properties(const Json& v, const std::string& path) {
  static const Keys keys = [] {
    Keys k = TransportProperties::selection_property_names();
    k.insert(k.end(), {"direction", "interface", "profile", "_taps.addressFamily", "_taps.multicastHopLimit",
                       "_taps.multicastLoopback", "_taps.multicastReceiveBuffer"});
    for (const auto& row : ConnectionProperties::table()) k.push_back(row.name);
    return k;
  }();
  expect(v.is_object(), v, path, "an object");
  check_keys(v, path, keys);
  TransportProperties props;
  // The profile is the base that the other keys refine, wherever it appears.
  with_member(v, path, "profile", [&](const Json& m, const std::string& p) { props = profile_named(m, p); });
  for (std::string_view name : TransportProperties::selection_property_names()) {
    with_member(v, path, std::string(name), [&](const Json& m, const std::string& p) {
      props.set(name, get_preference(m, p));
    });
  }
  with_member(v, path, "direction", [&](const Json& m, const std::string& p) {
    auto d = direction_from_string(get_string(m, p));
    if (!d) fail(p, "expected one of bidirectional, unidirectionalSend, unidirectionalReceive, got " + m.dump());
    props.set_direction(*d);
  });
  with_member(v, path, "interface", [&](const Json& m, const std::string& p) {
    expect(m.is_object(), m, p, "an object");
    for (auto it = m.begin(); it != m.end(); ++it) {
      std::string at = member_path(p, it.key());
      if (it.key().empty()) fail(at, "interface name must not be empty");
      props.set_interface(it.key(), get_preference(it.value(), at));
    }
  });
  with_member(v, path, "connTimeout", [&](const Json& m, const std::string& p) {
    // 0 often means "no timeout" elsewhere; here it would fail every Initiate, so null
    // is the only spelling of "none". The cap keeps deadline arithmetic far from overflow.
    if (m.is_null()) {
      props.connection.conn_timeout.reset();
    } else {
      props.connection.conn_timeout = std::chrono::milliseconds(
          get_integer(m, p, 1, 2147483647, "is out of range (1-2147483647 ms, or null for none)"));
    }
  });
  for (const auto& row : ConnectionProperties::table()) {
    if (row.name == "connTimeout") continue;
    with_member(v, path, std::string(row.name), [&](const Json& m, const std::string& p) {
      read_connection_property(m, p, row.name, props.connection);
    });
  }
  with_member(v, path, "_taps.addressFamily", [&](const Json& m, const std::string& p) {
    constexpr std::string_view not_a_family = "is not an address family (4, 6, or 0 for both)";
    auto family = get_integer(m, p, 0, 6, not_a_family);
    if (family != 0 && family != 4 && family != 6) fail(p, m.dump() + " " + std::string(not_a_family));
    props.address_family = static_cast<int>(family);
  });
  with_member(v, path, "_taps.multicastHopLimit", [&](const Json& m, const std::string& p) {
    props.multicast_hop_limit = static_cast<int>(get_integer(m, p, 0, 255, "is not a hop limit (0-255)"));
  });
  with_member(v, path, "_taps.multicastLoopback", [&](const Json& m, const std::string& p) {
    expect(m.is_boolean(), m, p, "true or false");
    props.multicast_loopback = m.get<bool>();
  });
  with_member(v, path, "_taps.multicastReceiveBuffer", [&](const Json& m, const std::string& p) {
    props.multicast_receive_buffer =
        static_cast<int>(get_integer(m, p, 1, 2147483647, "is not a buffer size (1-2147483647 bytes)"));
  });
  return props;
}

CertificateFiles read_certificate(const Json& v, const std::string& path) {
  static const Keys keys{"chain", "privateKey"};
  expect(v.is_object(), v, path, "an object");
  check_keys(v, path, keys);
  CertificateFiles files;
  with_member(v, path, "chain", [&](const Json& m, const std::string& p) { files.chain = get_string(m, p); });
  with_member(v, path, "privateKey", [&](const Json& m, const std::string& p) { files.private_key = get_string(m, p); });
  if (files.chain.empty() && !files.private_key.empty()) fail(path, "privateKey without a chain");
  return files;
}

SecurityParameters read_security(const Json& v, const std::string& path) {
  static const Keys keys{"allowedSecurityProtocols", "trustedCertificates", "serverCertificate", "clientCertificate",
                         "pinnedServerCertificate",  "alpn",                "_taps.serverName",  "maxCachedSessions",
                         "_taps.insecureSkipVerify", "_taps.opportunistic"};
  expect(v.is_object(), v, path, "an object");
  check_keys(v, path, keys);
  SecurityParameters security;
  with_member(v, path, "allowedSecurityProtocols", [&](const Json& m, const std::string& p) {
    security.allowed_security_protocols = get_strings(m, p);
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (m[i] != "tls1.3") fail(element_path(p, i), "expected \"tls1.3\" (the one protocol of this build), got " + m[i].dump());
    }
  });
  with_member(v, path, "trustedCertificates", [&](const Json& m, const std::string& p) {
    security.trusted_certificates = get_string(m, p);
  });
  with_member(v, path, "serverCertificate", [&](const Json& m, const std::string& p) {
    security.server_certificate = read_certificate(m, p);
  });
  with_member(v, path, "clientCertificate", [&](const Json& m, const std::string& p) {
    security.client_certificate = read_certificate(m, p);
  });
  with_member(v, path, "pinnedServerCertificate", [&](const Json& m, const std::string& p) {
    for (const auto& text : get_strings(m, p)) {
      auto pin = parse_spki_pin(text);
      if (!pin) fail(element_path(p, security.pinned_server_certificate.size()), "not a SHA-256 digest in hex or base64");
      security.pinned_server_certificate.push_back(*pin);
    }
  });
  with_member(v, path, "alpn", [&](const Json& m, const std::string& p) {
    security.alpn = get_strings(m, p);
    for (std::size_t i = 0; i < security.alpn.size(); ++i) {
      // RFC 7301: a protocol name is carried with a one-byte length.
      if (security.alpn[i].size() > 255) fail(element_path(p, i), "an ALPN protocol name is at most 255 bytes");
    }
  });
  with_member(v, path, "_taps.serverName", [&](const Json& m, const std::string& p) {
    security.server_name = get_string(m, p);
  });
  with_member(v, path, "maxCachedSessions", [&](const Json& m, const std::string& p) {
    security.max_cached_sessions = static_cast<std::size_t>(get_integer(m, p, 0, 1000000, "is out of range (0-1000000)"));
  });
  with_member(v, path, "_taps.insecureSkipVerify", [&](const Json& m, const std::string& p) {
    expect(m.is_boolean(), m, p, "true or false");
    security.insecure_skip_verify = m.get<bool>();
  });
  with_member(v, path, "_taps.opportunistic", [&](const Json& m, const std::string& p) {
    expect(m.is_boolean(), m, p, "true or false");
    security.opportunistic_security = m.get<bool>();
  });
  return security;
}

std::vector<FramerSpec> read_framers(const Json& v, const std::string& path) {
  expect(v.is_array(), v, path, "an array");
  std::vector<FramerSpec> framers;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = element_path(path, i);
    auto name = get_name(v[i], at);
    auto framer = framer_by_name(name);
    if (!framer) fail(at, "unknown framer " + Json(name).dump() + " (available: line, lp)");
    framers.push_back(std::move(*framer));
  }
  return framers;
}

void read_racing(const Json& v, const std::string& path, TransportProperties& props) {
  static const Keys keys{"connectionAttemptDelayMs", "resolutionDelayMs", "firstAddressFamilyCount"};
  expect(v.is_object(), v, path, "an object");
  check_keys(v, path, keys);
  with_member(v, path, "connectionAttemptDelayMs", [&](const Json& m, const std::string& p) {
    props.connection_attempt_delay = std::chrono::milliseconds(get_integer(m, p, 10, 2000, "is out of range (10-2000)"));
  });
  with_member(v, path, "resolutionDelayMs", [&](const Json& m, const std::string& p) {
    props.resolution_delay = std::chrono::milliseconds(get_integer(m, p, 0, 2000, "is out of range (0-2000)"));
  });
  with_member(v, path, "firstAddressFamilyCount", [&](const Json& m, const std::string& p) {
    props.first_address_family_count = static_cast<int>(get_integer(m, p, 1, 16, "is out of range (1-16)"));
  });
}

Preconnection read_preconnection(const Json& doc) {
  static const Keys keys{"remoteEndpoints", "localEndpoints", "transportProperties",
                         "securityParameters", "framers", "racing"};
  const std::string root = "$";
  expect(doc.is_object(), doc, root, "an object");
  check_keys(doc, root, keys);
  Preconnection p;
  with_member(doc, root, "remoteEndpoints", [&](const Json& m, const std::string& at) {
    p.remote_endpoints() = read_endpoints<RemoteEndpoint>(m, at);
  });
  with_member(doc, root, "localEndpoints", [&](const Json& m, const std::string& at) {
    p.local_endpoints() = read_endpoints<LocalEndpoint>(m, at);
  });
  // Before racing: a profile replaces the whole TransportProperties.
  with_member(doc, root, "transportProperties", [&](const Json& m, const std::string& at) {
    p.transport_properties() = read_transport_properties(m, at);
  });
  with_member(doc, root, "racing", [&](const Json& m, const std::string& at) {
    read_racing(m, at, p.transport_properties());
  });
  with_member(doc, root, "securityParameters", [&](const Json& m, const std::string& at) {
    p.security_parameters() = read_security(m, at);
  });
  with_member(doc, root, "framers", [&](const Json& m, const std::string& at) { p.framers() = read_framers(m, at); });
  return p;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2: why";
// keep only "why".
std::string reason(const nlohmann::json::exception& e, bool has_position) {
  std::string_view what = e.what();
  if (auto bracket = what.find("] "); bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
  if (auto colon = what.find(": "); has_position && colon != std::string_view::npos) what.remove_prefix(colon + 2);
  return std::string(what);
}

// `byte` counts the characters read, the offending one included.
std::string line_and_column(std::string_view text, std::size_t byte) {
  std::size_t index = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::string_view before = text.substr(0, index);
  std::size_t line = 1 + static_cast<std::size_t>(std::ranges::count(before, '\n'));
  std::size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(index - line_start + 1);
}

Json parse(std::string_view text) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Invalid{line_and_column(text, e.byte) + ": " + reason(e, true)};
  } catch (const nlohmann::json::exception& e) {
    // Number overflow ("1e999") comes without a position.
    throw Invalid{"$: " + reason(e, false)};
  }
}

template <class Endpoint>
Json endpoints_to_json(const std::vector<Endpoint>& endpoints) {
  Json out = Json::array();
  for (const auto& e : endpoints) {
    Json j = Json::object();
    if (e.host_name()) j["hostName"] = *e.host_name();
    if (e.port()) j["port"] = *e.port();
    if (e.ip_address()) j["ipAddress"] = *e.ip_address();
    if (e.interface_name()) j["interface"] = *e.interface_name();
    if constexpr (std::is_same_v<Endpoint, LocalEndpoint>) {
      if (e.multicast_group()) j["multicastGroup"] = *e.multicast_group();
      if (!e.multicast_sources().empty()) j["multicastSources"] = e.multicast_sources();
      if (!e.excluded_multicast_sources().empty()) j["_taps.excludedSources"] = e.excluded_multicast_sources();
    }
    out.push_back(std::move(j));
  }
  return out;
}

// Only explicit values: a key that is read back becomes explicit, and explicitness
// changes stack selection (an explicit Require is never relaxed).
Json transport_properties_to_json(const TransportProperties& props) {
  Json j = Json::object();
  for (std::string_view name : TransportProperties::selection_property_names()) {
    if (props.is_explicit(name)) j[std::string(name)] = std::string(to_string(props.get(name)));
  }
  j["direction"] = std::string(to_string(props.direction()));
  if (!props.interfaces().empty()) {
    Json interfaces = Json::object();
    for (const auto& [name, preference] : props.interfaces()) interfaces[name] = std::string(to_string(preference));
    j["interface"] = std::move(interfaces);
  }
  for (std::string_view name : ConnectionProperties::settable_names()) {
    j[std::string(name)] = std::visit(
        [](const auto& value) -> Json {
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::monostate>) return nullptr;
          else return value;
        },
        *props.connection.get(name));
  }
  j["_taps.addressFamily"] = props.address_family;
  j["_taps.multicastHopLimit"] = props.multicast_hop_limit;
  j["_taps.multicastLoopback"] = props.multicast_loopback;
  j["_taps.multicastReceiveBuffer"] = props.multicast_receive_buffer;
  return j;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<Preconnection> preconnection_from_json(std::string_view text) {
  try {
    return read_preconnection(parse(text));
  } catch (const Invalid& e) {
    return make_error(errc::invalid_configuration, e.detail);
  }
}

Result<Preconnection> preconnection_from_json_file(const std::string& path) {
  auto cannot_read = [&](const std::string& why) {
    return make_error(errc::invalid_configuration, "cannot read config file " + path + ": " + why);
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return cannot_read(std::strerror(errno));
  // A bound, so that "--config /dev/zero" fails instead of eating memory.
  constexpr std::size_t max_size = 1 << 20;
  std::string text;
  char buffer[16384];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) {
    text.append(buffer, n);
    if (text.size() > max_size) return cannot_read("larger than 1 MiB");
  }
  if (std::ferror(file.get())) return cannot_read(std::strerror(errno));
  auto result = preconnection_from_json(text);
  if (!result) return make_error(errc::invalid_configuration, path + ": " + result.error().detail);
  return result;
}

std::string preconnection_to_json(const Preconnection& p) {
  const auto& props = p.transport_properties();
  const auto& security = p.security_parameters();
  Json doc = Json::object();
  doc["remoteEndpoints"] = endpoints_to_json(p.remote_endpoints());
  doc["localEndpoints"] = endpoints_to_json(p.local_endpoints());
  doc["transportProperties"] = transport_properties_to_json(props);
  auto certificate = [](const CertificateFiles& f) { return Json{{"chain", f.chain}, {"privateKey", f.private_key}}; };
  doc["securityParameters"] = {{"allowedSecurityProtocols", security.allowed_security_protocols},
                               {"trustedCertificates", security.trusted_certificates},
                               {"serverCertificate", certificate(security.server_certificate)},
                               {"clientCertificate", certificate(security.client_certificate)},
                               {"pinnedServerCertificate", security.pinned_server_certificate},
                               {"alpn", security.alpn},
                               {"_taps.serverName", security.server_name},
                               {"maxCachedSessions", security.max_cached_sessions},
                               {"_taps.insecureSkipVerify", security.insecure_skip_verify},
                               {"_taps.opportunistic", security.opportunistic_security}};
  doc["framers"] = Json::array();
  for (const auto& framer : p.framers()) doc["framers"].push_back(framer.name);
  doc["racing"] = {{"connectionAttemptDelayMs", props.connection_attempt_delay.count()},
                   {"resolutionDelayMs", props.resolution_delay.count()},
                   {"firstAddressFamilyCount", props.first_address_family_count}};
  // Strings set through the API need not be UTF-8; printing must not throw.
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace taps
