// The JSON configuration of DESIGN.md section 4: what it accepts, the exact message
// for what it rejects, and the round trip through preconnection_to_json.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "taps/config.hpp"

using taps::Preconnection;
using taps::Preference;
using taps::preconnection_from_json;
using taps::preconnection_to_json;

namespace {

Preconnection parse_ok(const std::string& text) {
  auto result = preconnection_from_json(text);
  INFO(text);
  REQUIRE_MESSAGE(result, (result ? "" : result.error().detail));
  return *result;
}

std::string parse_error(const std::string& text) {
  auto result = preconnection_from_json(text);
  INFO(text);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == taps::errc::invalid_configuration);
  return result.error().detail;
}

// A file removed when the test ends; the pid keeps parallel ctest runs apart.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_(std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// DESIGN.md section 4, without the framer this build lacks.
const std::string design_example = R"({
  "remoteEndpoints": [{"hostName": "example.net", "port": 443}],
  "localEndpoints": [{"interface": "veth0"}],
  "transportProperties": {"reliability": "require", "preserveMsgBoundaries": "prefer",
                          "interface": {"veth0": "prefer", "lo": "prohibit"}},
  "securityParameters": {"allowedSecurityProtocols": ["tls1.3"], "alpn": ["taps"],
                         "trustedCertificates": "testdata/certs/ca.pem"},
  "racing": {"connectionAttemptDelayMs": 250, "resolutionDelayMs": 50} })";

}  // namespace

TEST_CASE("config: the DESIGN.md example") {
  auto p = parse_ok(design_example);
  REQUIRE(p.remote_endpoints().size() == 1);
  CHECK(p.remote_endpoints()[0].host_name() == "example.net");
  CHECK(p.remote_endpoints()[0].port() == 443);
  CHECK_FALSE(p.remote_endpoints()[0].ip_address());
  REQUIRE(p.local_endpoints().size() == 1);
  CHECK(p.local_endpoints()[0].interface_name() == "veth0");
  const auto& props = p.transport_properties();
  CHECK(props.get("reliability") == Preference::require);
  CHECK(props.is_explicit("reliability"));
  CHECK(props.get("preserveMsgBoundaries") == Preference::prefer);
  CHECK_FALSE(props.is_explicit("preserveOrder"));
  CHECK(props.interfaces() ==
        std::map<std::string, Preference>{{"veth0", Preference::prefer}, {"lo", Preference::prohibit}});
  CHECK(p.security_parameters().allowed_security_protocols == std::vector<std::string>{"tls1.3"});
  CHECK(p.security_parameters().alpn == std::vector<std::string>{"taps"});
  CHECK(p.security_parameters().trusted_certificates == "testdata/certs/ca.pem");
  CHECK(props.connection_attempt_delay == std::chrono::milliseconds(250));
  CHECK(props.resolution_delay == std::chrono::milliseconds(50));
}

TEST_CASE("config: an empty object is the default Preconnection") {
  CHECK(parse_ok("{}") == Preconnection{});
  CHECK(parse_ok(R"({"remoteEndpoints": [], "localEndpoints": [], "transportProperties": {},
                     "securityParameters": {}, "framers": [], "racing": {}})") == Preconnection{});
}

TEST_CASE("config: values at the edges of their ranges") {
  auto p = parse_ok(R"({"remoteEndpoints": [{"ipAddress": "192.0.2.1", "port": 0},
                                            {"ipAddress": "2001:db8::1", "port": 65535},
                                            {"ipAddress": "fe80::1%veth0", "interface": "veth0"},
                                            {"ipAddress": "::ffff:192.0.2.1"}],
                        "localEndpoints": [{}],
                        "transportProperties": {"connTimeout": 1, "_taps.addressFamily": 6,
                                                "direction": "unidirectionalReceive"},
                        "racing": {"connectionAttemptDelayMs": 10, "resolutionDelayMs": 0}})");
  const auto& remote = p.remote_endpoints();
  REQUIRE(remote.size() == 4);
  CHECK(remote[0].port() == 0);
  CHECK(remote[1].port() == 65535);
  CHECK(remote[2].ip_address() == "fe80::1%veth0");
  CHECK(p.local_endpoints().size() == 1);
  const auto& props = p.transport_properties();
  CHECK(props.connection.conn_timeout == std::chrono::milliseconds(1));
  CHECK(props.address_family == 6);
  CHECK(props.direction() == taps::Direction::unidirectional_receive);
  CHECK(props.connection_attempt_delay == std::chrono::milliseconds(10));
  CHECK(props.resolution_delay == std::chrono::milliseconds(0));

  auto q = parse_ok(R"({"transportProperties": {"connTimeout": null, "_taps.addressFamily": 4},
                        "racing": {"connectionAttemptDelayMs": 2000, "resolutionDelayMs": 2000}})");
  CHECK_FALSE(q.transport_properties().connection.conn_timeout);
  CHECK(q.transport_properties().address_family == 4);
  CHECK(q.transport_properties().connection_attempt_delay == std::chrono::milliseconds(2000));
}

TEST_CASE("config: the profile is applied first wherever it is written") {
  auto p = parse_ok(R"({"transportProperties": {"reliability": "prohibit", "profile": "reliable-message",
                                                "connTimeout": 500},
                        "racing": {"connectionAttemptDelayMs": 100}})");
  auto expected = taps::TransportProperties::reliable_message();
  expected.prohibit("reliability");
  expected.connection.conn_timeout = std::chrono::milliseconds(500);
  expected.connection_attempt_delay = std::chrono::milliseconds(100);
  CHECK(p.transport_properties() == expected);

  CHECK(parse_ok(R"({"transportProperties": {"profile": "unreliable-datagram"}})").transport_properties() ==
        taps::TransportProperties::unreliable_datagram());
  CHECK(parse_ok(R"({"transportProperties": {"profile": "reliable-inorder-stream"}})").transport_properties() ==
        taps::TransportProperties{});
}

TEST_CASE("config: every selection property name and preference is accepted") {
  for (auto name : taps::TransportProperties::selection_property_names()) {
    for (auto preference : {Preference::require, Preference::prefer, Preference::no_preference,
                            Preference::avoid, Preference::prohibit}) {
      auto text = R"({"transportProperties": {")" + std::string(name) + R"(": ")" +
                  std::string(taps::to_string(preference)) + R"("}})";
      auto props = parse_ok(text).transport_properties();
      CHECK(props.get(name) == preference);
      CHECK(props.is_explicit(name));
    }
  }
}

TEST_CASE("config: rejected values name their JSON path") {
  struct Case {
    std::string json;
    std::string detail;
  };
  const std::string long_alpn(256, 'a');
  const std::vector<Case> cases{
      // Types and ranges.
      {R"({"remoteEndpoints": [{"port": 70000}]})", "$.remoteEndpoints[0].port: 70000 is not a port (0-65535)"},
      {R"({"remoteEndpoints": [{"port": -1}]})", "$.remoteEndpoints[0].port: -1 is not a port (0-65535)"},
      {R"({"remoteEndpoints": [{"port": 18446744073709551615}]})",
       "$.remoteEndpoints[0].port: 18446744073709551615 is not a port (0-65535)"},
      {R"({"remoteEndpoints": [{"port": "443"}]})", "$.remoteEndpoints[0].port: expected an integer, got string"},
      {R"({"remoteEndpoints": [{"port": 443.5}]})", "$.remoteEndpoints[0].port: expected an integer, got number"},
      {R"({"remoteEndpoints": [{"port": null}]})", "$.remoteEndpoints[0].port: expected an integer, got null"},
      {R"({"remoteEndpoints": {"port": 443}})", "$.remoteEndpoints: expected an array, got object"},
      {R"({"localEndpoints": ["veth0"]})", "$.localEndpoints[0]: expected an object, got string"},
      {R"({"remoteEndpoints": [{}, {"hostName": ""}]})", "$.remoteEndpoints[1].hostName: must not be empty"},
      {R"({"remoteEndpoints": [{"hostName": true}]})", "$.remoteEndpoints[0].hostName: expected a string, got boolean"},
      {R"({"localEndpoints": [{"interface": ""}]})", "$.localEndpoints[0].interface: must not be empty"},
      // Address literals.
      {R"({"remoteEndpoints": [{"ipAddress": "example.net"}]})",
       R"($.remoteEndpoints[0].ipAddress: "example.net" is not an IPv4 or IPv6 address)"},
      {R"({"remoteEndpoints": [{"ipAddress": "192.0.2.256"}]})",
       R"($.remoteEndpoints[0].ipAddress: "192.0.2.256" is not an IPv4 or IPv6 address)"},
      {R"({"localEndpoints": [{"ipAddress": "192.0.2.1%eth0"}]})",
       R"($.localEndpoints[0].ipAddress: "192.0.2.1%eth0" is not an IPv4 or IPv6 address)"},
      {R"({"localEndpoints": [{"ipAddress": "fe80::1%"}]})",
       R"($.localEndpoints[0].ipAddress: "fe80::1%" is not an IPv4 or IPv6 address)"},
      {R"({"localEndpoints": [{"ipAddress": "[::1]"}]})",
       R"($.localEndpoints[0].ipAddress: "[::1]" is not an IPv4 or IPv6 address)"},
      // Unknown keys, with a suggestion when one is close.
      {R"({"xyzzy": 1})", "$.xyzzy: unknown key"},
      {R"({"remoteEndpoint": []})", "$.remoteEndpoint: unknown key (did you mean remoteEndpoints?)"},
      {R"({"transportProperties": {"relability": "require"}})",
       "$.transportProperties.relability: unknown key (did you mean reliability?)"},
      {R"({"remoteEndpoints": [{"port": 1}, {"hostname": "a"}]})",
       "$.remoteEndpoints[1].hostname: unknown key (did you mean hostName?)"},
      {R"({"racing": {"connectionAttemptDelay": 100}})",
       "$.racing.connectionAttemptDelay: unknown key (did you mean connectionAttemptDelayMs?)"},
      {R"({"racing": {"attemptDelay": 100}})", "$.racing.attemptDelay: unknown key"},
      {R"({"transportProperties": {"_taps.adressFamily": 4}})",
       R"($.transportProperties["_taps.adressFamily"]: unknown key (did you mean _taps.addressFamily?))"},
      {R"({"securityParameters": {"ALPN": []}})", "$.securityParameters.ALPN: unknown key"},
      {R"({"": 1})", R"($[""]: unknown key)"},
      // Transport properties.
      {R"({"transportProperties": []})", "$.transportProperties: expected an object, got array"},
      {R"({"transportProperties": {"reliability": "sometimes"}})",
       R"($.transportProperties.reliability: expected one of require, prefer, noPreference, avoid, prohibit, got "sometimes")"},
      {R"({"transportProperties": {"reliability": true}})",
       "$.transportProperties.reliability: expected a string, got boolean"},
      {R"({"transportProperties": {"direction": "both"}})",
       R"($.transportProperties.direction: expected one of bidirectional, unidirectionalSend, unidirectionalReceive, got "both")"},
      {R"({"transportProperties": {"profile": "fast"}})",
       R"($.transportProperties.profile: expected one of reliable-inorder-stream, reliable-message, unreliable-datagram, got "fast")"},
      {R"({"transportProperties": {"interface": "veth0"}})",
       "$.transportProperties.interface: expected an object, got string"},
      {R"({"transportProperties": {"interface": {"veth0": "maybe"}}})",
       R"($.transportProperties.interface.veth0: expected one of require, prefer, noPreference, avoid, prohibit, got "maybe")"},
      {R"({"transportProperties": {"interface": {"veth-a": 1}}})",
       R"($.transportProperties.interface["veth-a"]: expected a string, got number)"},
      {R"({"transportProperties": {"interface": {"": "require"}}})",
       R"($.transportProperties.interface[""]: interface name must not be empty)"},
      {R"({"transportProperties": {"connTimeout": 0}})",
       "$.transportProperties.connTimeout: 0 is out of range (1-2147483647 ms, or null for none)"},
      {R"({"transportProperties": {"connTimeout": "5s"}})",
       "$.transportProperties.connTimeout: expected an integer, got string"},
      {R"({"transportProperties": {"_taps.addressFamily": 5}})",
       R"($.transportProperties["_taps.addressFamily"]: 5 is not an address family (4, 6, or 0 for both))"},
      {R"({"transportProperties": {"_taps.addressFamily": 46}})",
       R"($.transportProperties["_taps.addressFamily"]: 46 is not an address family (4, 6, or 0 for both))"},
      // Security parameters.
      {R"({"securityParameters": {"alpn": "taps"}})", "$.securityParameters.alpn: expected an array, got string"},
      {R"({"securityParameters": {"alpn": ["h2", 1]}})", "$.securityParameters.alpn[1]: expected a string, got number"},
      {R"({"securityParameters": {"alpn": [""]}})", "$.securityParameters.alpn[0]: must not be empty"},
      {R"({"securityParameters": {"alpn": [")" + long_alpn + R"("]}})",
       "$.securityParameters.alpn[0]: an ALPN protocol name is at most 255 bytes"},
      {R"({"securityParameters": {"allowedSecurityProtocols": [null]}})",
       "$.securityParameters.allowedSecurityProtocols[0]: expected a string, got null"},
      {R"({"securityParameters": {"trustedCertificates": ["a.pem"]}})",
       "$.securityParameters.trustedCertificates: expected a string, got array"},
      // Framers and racing.
      {R"({"framers": ["lp", "zstd"]})", R"($.framers[1]: unknown framer "zstd" (available: line, lp))"},
      {R"({"framers": "lp"})", "$.framers: expected an array, got string"},
      {R"({"framers": [7]})", "$.framers[0]: expected a string, got number"},
      {R"({"racing": {"connectionAttemptDelayMs": 5}})", "$.racing.connectionAttemptDelayMs: 5 is out of range (10-2000)"},
      {R"({"racing": {"connectionAttemptDelayMs": 2001}})",
       "$.racing.connectionAttemptDelayMs: 2001 is out of range (10-2000)"},
      {R"({"racing": {"resolutionDelayMs": -1}})", "$.racing.resolutionDelayMs: -1 is out of range (0-2000)"},
      {R"({"racing": {"resolutionDelayMs": 50.0}})", "$.racing.resolutionDelayMs: expected an integer, got number"},
      {R"({"racing": []})", "$.racing: expected an object, got array"},
      // The document itself.
      {"[]", "$: expected an object, got array"},
      {"null", "$: expected an object, got null"},
      {R"("{}")", "$: expected an object, got string"},
      {R"({"racing": {"resolutionDelayMs": 1e999}})", "$: number overflow parsing '1e999'"},
  };
  for (const auto& c : cases) CHECK(parse_error(c.json) == c.detail);
}

TEST_CASE("config: syntax errors give line and column") {
  struct Case {
    std::string json;
    std::string prefix;
  };
  const std::vector<Case> cases{
      {"", "line 1, column 1: syntax error while parsing value - unexpected end of input"},
      {"{\n  \"racing\": x}", "line 2, column 13: syntax error while parsing value - invalid literal"},
      {"{\"a\": 1", "line 1, column 8: syntax error while parsing object - unexpected end of input"},
      {"{}\n\n  {}", "line 3, column 3: syntax error while parsing value - unexpected '{'"},
      {"{\"racing\": {\"resolutionDelayMs\": 50,}}", "line 1, column 37: syntax error while parsing object key"},
      {"{\"a\": \"\xff\"}", "line 1, column 8: syntax error while parsing value - invalid string: ill-formed UTF-8"},
  };
  for (const auto& c : cases) {
    auto detail = parse_error(c.json);
    CAPTURE(detail);
    CHECK(detail.rfind(c.prefix, 0) == 0);
  }
}

TEST_CASE("config: files") {
  SUBCASE("a missing file names the path and the system's reason") {
    auto result = taps::preconnection_from_json_file("/nonexistent/taps.json");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == taps::errc::invalid_configuration);
    CHECK(result.error().detail == "cannot read config file /nonexistent/taps.json: No such file or directory");
  }
  SUBCASE("a directory") {
    auto dir = std::filesystem::temp_directory_path().string();
    auto result = taps::preconnection_from_json_file(dir);
    REQUIRE_FALSE(result);
    CHECK(result.error().detail == "cannot read config file " + dir + ": Is a directory");
  }
  SUBCASE("a good file") {
    TempFile file("good.json", design_example);
    auto result = taps::preconnection_from_json_file(file.path());
    REQUIRE(result);
    CHECK(*result == parse_ok(design_example));
  }
  SUBCASE("a bad file prefixes the path") {
    TempFile file("bad.json", R"({"remoteEndpoints": [{"port": 70000}]})");
    auto result = taps::preconnection_from_json_file(file.path());
    REQUIRE_FALSE(result);
    CHECK(result.error().code == taps::errc::invalid_configuration);
    CHECK(result.error().detail == file.path() + ": $.remoteEndpoints[0].port: 70000 is not a port (0-65535)");
  }
  SUBCASE("a syntax error in a file") {
    TempFile file("syntax.json", "{\n  ,\n}");
    auto result = taps::preconnection_from_json_file(file.path());
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.rfind(file.path() + ": line 2, column 3: ", 0) == 0);
  }
  SUBCASE("a file too large to be a configuration") {
    TempFile file("large.json", std::string((1 << 20) + 1, ' '));
    auto result = taps::preconnection_from_json_file(file.path());
    REQUIRE_FALSE(result);
    CHECK(result.error().detail == "cannot read config file " + file.path() + ": larger than 1 MiB");
  }
}

TEST_CASE("config: the default Preconnection prints every effective setting") {
  CHECK(preconnection_to_json(Preconnection{}) == R"({
  "remoteEndpoints": [],
  "localEndpoints": [],
  "transportProperties": {
    "direction": "bidirectional",
    "connPriority": 100,
    "connTimeout": null,
    "keepAliveTimeout": null,
    "connScheduler": "weightedFairQueueing",
    "connCapacityProfile": "default",
    "minSendRate": null,
    "maxSendRate": null,
    "groupConnLimit": null,
    "isolateSession": false,
    "tcp.userTimeoutValue": null,
    "tcp.userTimeoutEnabled": false,
    "tcp.userTimeoutChangeable": true,
    "_taps.addressFamily": 0,
    "_taps.multicastHopLimit": 1,
    "_taps.multicastLoopback": false,
    "_taps.multicastReceiveBuffer": 4194304
  },
  "securityParameters": {
    "allowedSecurityProtocols": [],
    "trustedCertificates": "",
    "serverCertificate": {
      "chain": "",
      "privateKey": ""
    },
    "clientCertificate": {
      "chain": "",
      "privateKey": ""
    },
    "pinnedServerCertificate": [],
    "alpn": [],
    "_taps.serverName": "",
    "maxCachedSessions": 64,
    "_taps.insecureSkipVerify": false,
    "_taps.opportunistic": false
  },
  "framers": [],
  "racing": {
    "connectionAttemptDelayMs": 250,
    "resolutionDelayMs": 50,
    "firstAddressFamilyCount": 1
  }
})");
}

TEST_CASE("config: only explicit selection properties are printed") {
  taps::TransportProperties props;
  props.prohibit("reliability").set("preserveOrder", Preference::require);
  auto printed = nlohmann::json::parse(preconnection_to_json(Preconnection({}, {}, props)));
  const auto& tp = printed["transportProperties"];
  CHECK(tp["reliability"] == "prohibit");
  CHECK(tp["preserveOrder"] == "require");
  CHECK_FALSE(tp.contains("congestionControl"));
  CHECK_FALSE(tp.contains("interface"));
}

TEST_CASE("config: round trip through preconnection_to_json") {
  std::vector<Preconnection> cases;
  cases.emplace_back();
  cases.push_back(parse_ok(design_example));
  {
    taps::TransportProperties props = taps::TransportProperties::unreliable_datagram();
    props.set_direction(taps::Direction::unidirectional_send)
        .set_interface("veth-a", Preference::avoid)
        .set_interface("lo", Preference::prohibit);
    props.connection.conn_timeout = std::chrono::milliseconds(1500);
    props.address_family = 4;
    props.connection_attempt_delay = std::chrono::milliseconds(10);
    props.resolution_delay = std::chrono::milliseconds(0);
    taps::SecurityParameters security;
    security.allowed_security_protocols = {"tls1.3"};
    security.alpn = {"h2", "taps"};
    security.trusted_certificates = "/etc/taps/ca.pem";
    security.server_certificate = {"server.pem", "server.key"};
    security.client_certificate = {"client.pem", ""};
    security.pinned_server_certificate = {std::string(64, 'a'), std::string(64, '0')};
    security.server_name = "example.net";
    security.max_cached_sessions = 0;
    security.insecure_skip_verify = true;
    Preconnection p({taps::LocalEndpoint{}.with_ip_address("::").with_port(0),
                     taps::LocalEndpoint{}.with_interface("veth0")},
                    {taps::RemoteEndpoint{}.with_host_name("example.net").with_port(443),
                     taps::RemoteEndpoint{}.with_ip_address("fe80::1%veth0").with_port(65535).with_interface("veth0"),
                     taps::RemoteEndpoint{}.with_ip_address("192.0.2.1")},
                    props, security);
    p.add_framer(taps::line_framer()).add_framer(taps::length_prefix_framer());
    cases.push_back(p);
  }
  {
    taps::TransportProperties props = taps::TransportProperties::reliable_message();
    props.set("reliability", Preference::require);  // explicit, though equal to the default
    cases.emplace_back(std::vector<taps::LocalEndpoint>{}, std::vector<taps::RemoteEndpoint>{}, props);
  }
  {
    // The multicast settings libtaps holds: memberships on local endpoints, hop limit,
    // loopback, receive buffer.
    taps::TransportProperties props;
    props.multicast_hop_limit = 0;
    props.multicast_loopback = true;
    props.multicast_receive_buffer = 1 << 16;
    Preconnection p({taps::LocalEndpoint{}.with_port(5001).with_single_source_multicast_group("232.1.1.1", "10.0.0.1"),
                     taps::LocalEndpoint{}.with_single_source_multicast_group("ff3e::1", "2001:db8::1")
                         .with_single_source_multicast_group("ff3e::1", "2001:db8::2"),
                     taps::LocalEndpoint{}.with_any_source_multicast_group("239.1.1.1")
                         .with_excluded_multicast_source("10.0.0.9")
                         .with_excluded_multicast_source("10.0.0.10")},
                    {}, props);
    cases.push_back(p);
  }
  for (const auto& p : cases) {
    auto printed = preconnection_to_json(p);
    CAPTURE(printed);
    auto back = preconnection_from_json(printed);
    REQUIRE_MESSAGE(back, (back ? "" : back.error().detail));
    CHECK(*back == p);
    CHECK(preconnection_to_json(*back) == printed);
  }
}

TEST_CASE("config: multicast keys, and what they reject") {
  auto p = parse_ok(R"({"localEndpoints": [{"multicastGroup": "232.1.1.1", "multicastSources": ["10.0.0.1"], "port": 5001},
                                           {"multicastGroup": "239.1.1.1", "_taps.excludedSources": ["10.0.0.9"]}],
                        "transportProperties": {"_taps.multicastHopLimit": 8, "_taps.multicastLoopback": true,
                                                "_taps.multicastReceiveBuffer": 65536}})");
  const auto& ssm = p.local_endpoints().at(0);
  CHECK(ssm.multicast_group() == "232.1.1.1");
  CHECK(ssm.multicast_sources() == std::vector<std::string>{"10.0.0.1"});
  CHECK(p.local_endpoints().at(1).excluded_multicast_sources() == std::vector<std::string>{"10.0.0.9"});
  CHECK(p.transport_properties().multicast_hop_limit == 8);
  CHECK(p.transport_properties().multicast_loopback);
  CHECK(p.transport_properties().multicast_receive_buffer == 65536);
  const std::pair<const char*, const char*> bad[] = {
      {R"({"localEndpoints": [{"multicastSources": ["10.0.0.1"]}]})",
       "$.localEndpoints[0].multicastSources: sources need a multicastGroup"},
      {R"({"localEndpoints": [{"multicastGroup": "example.net"}]})",
       R"($.localEndpoints[0].multicastGroup: "example.net" is not an IPv4 or IPv6 address)"},
      {R"({"localEndpoints": [{"_taps.excludedSources": "10.0.0.9"}]})",
       R"($.localEndpoints[0]["_taps.excludedSources"]: expected an array of addresses, got string)"},
      {R"({"remoteEndpoints": [{"multicastGroup": "232.1.1.1"}]})",
       "$.remoteEndpoints[0].multicastGroup: unknown key"},
      {R"({"transportProperties": {"_taps.multicastHopLimit": 256}})",
       R"($.transportProperties["_taps.multicastHopLimit"]: 256 is not a hop limit (0-255))"},
      {R"({"transportProperties": {"_taps.multicastLoopback": 1}})",
       R"($.transportProperties["_taps.multicastLoopback"]: expected true or false, got number)"},
      {R"({"transportProperties": {"_taps.multicastReceiveBuffer": 0}})",
       R"($.transportProperties["_taps.multicastReceiveBuffer"]: 0 is not a buffer size (1-2147483647 bytes))"},
  };
  for (const auto& [json, message] : bad) {
    CAPTURE(json);
    auto result = preconnection_from_json(json);
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.starts_with(message));
  }
}

TEST_CASE("config: TLS security parameters") {
  auto p = parse_ok(R"({"securityParameters": {
      "allowedSecurityProtocols": ["tls1.3"],
      "serverCertificate": {"chain": "s.pem", "privateKey": "s.key"},
      "clientCertificate": {"chain": "both.pem"},
      "pinnedServerCertificate": ["bRmJ4jjEp8TqtHcxC7WIcBv2ebAGKjyBHYb0Mt+ksGk=",
                                  "6D:08:9D:70:C6:F9:4A:54:69:67:0D:9E:3C:17:37:27:3D:22:AF:83:86:AA:52:96:C5:4D:21:91:88:56:60:AB"],
      "_taps.serverName": "internal.example", "maxCachedSessions": 0, "_taps.insecureSkipVerify": true}})");
  const auto& s = p.security_parameters();
  CHECK_FALSE(s.is_disabled());
  CHECK(s.server_certificate == taps::CertificateFiles{"s.pem", "s.key"});
  CHECK(s.client_certificate == taps::CertificateFiles{"both.pem", ""});
  CHECK(s.pinned_server_certificate ==
        std::vector<std::string>{"6d1989e238c4a7c4eab477310bb588701bf679b0062a3c811d86f432dfa4b069",
                                 "6d089d70c6f94a5469670d9e3c1737273d22af8386aa5296c54d2191885660ab"});
  CHECK(s.server_name == "internal.example");
  CHECK(s.max_cached_sessions == 0);
  CHECK(s.insecure_skip_verify);
}

TEST_CASE("config: bad TLS security parameters name the key") {
  const std::pair<std::string, std::string> rows[] = {
      {R"({"securityParameters": {"allowedSecurityProtocols": ["tls1.2"]}})",
       "$.securityParameters.allowedSecurityProtocols[0]: expected \"tls1.3\""},
      {R"({"securityParameters": {"serverCertificate": "s.pem"}})",
       "$.securityParameters.serverCertificate: expected an object, got string"},
      {R"({"securityParameters": {"clientCertificate": {"privateKey": "k.pem"}}})",
       "$.securityParameters.clientCertificate: privateKey without a chain"},
      {R"({"securityParameters": {"clientCertificate": {"key": "k.pem"}}})",
       "$.securityParameters.clientCertificate.key: unknown key"},
      {R"({"securityParameters": {"pinnedServerCertificate": ["abc"]}})",
       "$.securityParameters.pinnedServerCertificate[0]: not a SHA-256 digest"},
      {R"({"securityParameters": {"maxCachedSessions": -1}})", "$.securityParameters.maxCachedSessions: -1 is out of range"},
      {R"({"securityParameters": {"_taps.insecureSkipVerify": "yes"}})",
       "$.securityParameters[\"_taps.insecureSkipVerify\"]: expected true or false, got string"},
  };
  for (const auto& [text, expected] : rows) {
    CAPTURE(text);
    auto result = preconnection_from_json(text);
    REQUIRE_FALSE(result);
    CHECK(result.error().detail.rfind(expected, 0) == 0);
  }
}
