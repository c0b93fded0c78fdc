#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "taps-cat/options.hpp"
#include "taps-cat/resolve_output.hpp"

using taps_cat::parse;

namespace {

taps_cat::ParseResult run(std::vector<std::string> args) {
  args.insert(args.begin(), "taps-cat");
  return parse(args);
}

}  // namespace

TEST_CASE("connect: HOST PORT become the remote endpoint and TCP is the default") {
  auto r = run({"example.net", "80"});
  REQUIRE(r.options);
  const auto& o = *r.options;
  CHECK(o.mode == taps_cat::Mode::connect);
  REQUIRE(o.preconnection.remote_endpoints().size() == 1);
  const auto& remote = o.preconnection.remote_endpoints().front();
  CHECK(remote.host_name() == "example.net");
  CHECK(!remote.ip_address());
  CHECK(remote.port() == 80);
  CHECK(taps::select_stacks(o.preconnection.transport_properties()).stacks.front() == taps::Stack::tcp);
}

TEST_CASE("address literals are addresses not names") {
  for (std::string host : {"127.0.0.1", "::1", "fe80::1%lo"}) {
    auto r = run({host, "9"});
    REQUIRE(r.options);
    CHECK(r.options->preconnection.remote_endpoints().front().ip_address() == host);
  }
}

TEST_CASE("--udp selects UDP through the reliability property") {
  auto r = run({"--udp", "127.0.0.1", "53"});
  REQUIRE(r.options);
  const auto& props = r.options->preconnection.transport_properties();
  CHECK(props.get("reliability") == taps::Preference::prohibit);
  CHECK(taps::select_stacks(props).stacks == std::vector{taps::Stack::udp});
}

TEST_CASE("listen: [HOST] PORT become the local endpoint") {
  auto r = run({"-l", "5000"});
  REQUIRE(r.options);
  CHECK(r.options->mode == taps_cat::Mode::listen);
  REQUIRE(r.options->preconnection.local_endpoints().size() == 1);
  CHECK(r.options->preconnection.local_endpoints().front().port() == 5000);
  CHECK(!r.options->preconnection.local_endpoints().front().ip_address());

  r = run({"-l", "::1", "0", "-k", "-e", "cat"});
  REQUIRE(r.options);
  CHECK(r.options->keep_open);
  CHECK(r.options->exec == "cat");
  CHECK(r.options->preconnection.local_endpoints().front().ip_address() == "::1");
}

TEST_CASE("address family timeout wait source and verbosity") {
  auto r = run({"-6", "--timeout", "1.5", "--wait", "2", "-s", "::1", "--json", "localhost", "7"});
  REQUIRE(r.options);
  const auto& o = *r.options;
  CHECK(o.preconnection.transport_properties().address_family == 6);
  CHECK(o.timeout == std::chrono::milliseconds(1500));
  CHECK(o.wait == std::chrono::milliseconds(2000));
  CHECK(o.preconnection.local_endpoints().front().ip_address() == "::1");
  CHECK(o.verbosity == taps_cat::Verbosity::json);
  CHECK(run({"-v", "h", "1"}).options->verbosity == taps_cat::Verbosity::verbose);
}

TEST_CASE("--attempt-delay is clamped to 10..2000 ms with a warning") {
  auto r = run({"--attempt-delay", "5", "h", "1"});
  REQUIRE(r.options);
  CHECK(r.options->preconnection.transport_properties().connection_attempt_delay == std::chrono::milliseconds(10));
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings.front().find("--attempt-delay 5") != std::string::npos);
  r = run({"--attempt-delay", "100", "h", "1"});
  CHECK(r.options->preconnection.transport_properties().connection_attempt_delay == std::chrono::milliseconds(100));
  CHECK(r.warnings.empty());
}

TEST_CASE("help and version exit 0 with output on stdout") {
  auto help = run({"--help"});
  CHECK(!help.options);
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("Examples") != std::string::npos);
  CHECK(help.output.find("--udp") != std::string::npos);
  auto version = run({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.output.find("taps-cat ") == 0);
}

TEST_CASE("bad command lines: exit 1 with one line naming the problem") {
  struct Row {
    std::vector<std::string> args;
    std::string expected;
  };
  const Row rows[] = {
      {{"host"}, "needs HOST and PORT"},
      {{}, "needs HOST and PORT"},
      {{"host", "70000"}, "'70000' is not a port"},
      {{"host", "8o"}, "'8o' is not a port"},
      {{"host", "0"}, "port 0"},
      {{"-l"}, "needs a PORT"},
      {{"--bogus", "h", "1"}, "--bogus"},
      {{"--tcp", "--udp", "h", "1"}, "cannot be used together"},
      {{"-k", "h", "1"}, "-k works only with -l"},
      {{"--timeout", "-2", "h", "1"}, "--timeout"},
      {{"--config", "/nonexistent/taps.json", "h", "1"}, "/nonexistent/taps.json"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.expected);
    auto r = run(row.args);
    CHECK(!r.options);
    CHECK(r.exit_code == 1);
    CHECK(r.output.empty());
    CHECK(r.error.find(row.expected) != std::string::npos);
    CHECK(r.error.rfind("taps-cat: ", 0) == 0);
  }
}

TEST_CASE("--config supplies the Preconnection and options override it") {
  auto path = std::string("/tmp/taps-cat-options-test.json");
  {
    std::ofstream f(path);
    f << R"({"remoteEndpoints":[{"hostName":"config.example","port":443}],
             "transportProperties":{"reliability":"prohibit"}})";
  }
  auto r = run({"--config", path});
  REQUIRE(r.options);
  CHECK(r.options->preconnection.remote_endpoints().front().host_name() == "config.example");
  CHECK(taps::select_stacks(r.options->preconnection.transport_properties()).stacks.front() == taps::Stack::udp);
  r = run({"--config", path, "--tcp", "other.example", "80"});
  REQUIRE(r.options);
  CHECK(r.options->preconnection.remote_endpoints().front().host_name() == "other.example");
  CHECK(taps::select_stacks(r.options->preconnection.transport_properties()).stacks.front() == taps::Stack::tcp);
  std::remove(path.c_str());
}

TEST_CASE("--framer takes one name per use and stacks in the order given") {
  auto r = run({"--framer", "line", "--framer", "lp", "127.0.0.1", "7"});
  REQUIRE(r.options);
  const auto& framers = r.options->preconnection.framers();
  REQUIRE(framers.size() == 2);
  CHECK(framers[0].name == "line");
  CHECK(framers[1].name == "lp");
  CHECK(r.options->preconnection.remote_endpoints().front().port() == 7);
  CHECK(r.options->framed());

  auto bad = run({"--framer", "zstd", "h", "1"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.error.find("unknown framer 'zstd'") != std::string::npos);
}

TEST_CASE("--tls selects TLS over TCP with verification on") {
  auto r = run({"--tls", "example.net", "443"});
  REQUIRE(r.options);
  const auto& p = r.options->preconnection;
  CHECK(p.security_parameters() == taps::SecurityParameters::tls());
  CHECK(taps::select_stacks(p.transport_properties(), p.security_parameters()).stacks == std::vector{taps::Stack::tls});
  CHECK(r.warnings.empty());
}

TEST_CASE("TLS options fill the security parameters of a client") {
  auto r = run({"--tls", "--ca", "ca.pem", "--cert", "c.pem", "--key", "c.key", "--sni", "internal.example",
                "--alpn", "h2,taps", "--pin", "bQidcMb5SlRpZw2ePBc3Jz0ir4OGqlKWxU0hkYhWYKs=", "--pin",
                std::string(64, 'A'), "127.0.0.1", "4433"});
  REQUIRE(r.options);
  const auto& s = r.options->preconnection.security_parameters();
  CHECK(s.trusted_certificates == "ca.pem");
  CHECK(s.client_certificate == taps::CertificateFiles{"c.pem", "c.key"});
  CHECK(s.server_certificate.empty());
  CHECK(s.server_name == "internal.example");
  CHECK(s.alpn == std::vector<std::string>{"h2", "taps"});
  CHECK(s.pinned_server_certificate ==
        std::vector<std::string>{"6d089d70c6f94a5469670d9e3c1737273d22af8386aa5296c54d2191885660ab", std::string(64, 'a')});
  CHECK_FALSE(s.insecure_skip_verify);
}

TEST_CASE("a TLS listener presents --cert and asks clients for certificates with --ca") {
  auto r = run({"-l", "--tls", "--cert", "s.pem", "--key", "s.key", "--ca", "ca.pem", "4433"});
  REQUIRE(r.options);
  const auto& s = r.options->preconnection.security_parameters();
  CHECK(s.server_certificate == taps::CertificateFiles{"s.pem", "s.key"});
  CHECK(s.client_certificate.empty());
  CHECK(s.trusted_certificates == "ca.pem");
  auto combined = run({"-l", "--tls", "--cert", "both.pem", "4433"});
  REQUIRE(combined.options);
  CHECK(combined.options->preconnection.security_parameters().server_certificate == taps::CertificateFiles{"both.pem", ""});
}

TEST_CASE("a TLS listener without --cert asks for an ephemeral certificate; with one it does not") {
  auto r = run({"-l", "--tls", "4433"});
  REQUIRE(r.options);
  CHECK(r.options->ephemeral_certificate);
  CHECK(r.options->preconnection.security_parameters().server_certificate.empty());
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-l", "--tls", "--cert", "s.pem", "4433"}, {"--tls", "h", "1"}, {"-l", "4433"}}) {
    auto other = run(args);
    REQUIRE(other.options);
    CHECK_FALSE(other.options->ephemeral_certificate);
  }
}

TEST_CASE("--insecure warns on one line") {
  auto r = run({"--tls", "--insecure", "h", "1"});
  REQUIRE(r.options);
  CHECK(r.options->preconnection.security_parameters().insecure_skip_verify);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings.front().rfind("--insecure: ", 0) == 0);
  CHECK(r.warnings.front().find("NOT verified") != std::string::npos);
  CHECK(r.warnings.front().find('\n') == std::string::npos);
}

TEST_CASE("bad TLS command lines: exit 1 naming the problem") {
  struct Row {
    std::vector<std::string> args;
    std::string expected;
  };
  const Row rows[] = {
      {{"-l", "--tls", "--key", "s.key", "4433"}, "--key needs --cert"},
      {{"--ca", "ca.pem", "h", "1"}, "--ca needs --tls"},
      {{"--insecure", "h", "1"}, "--insecure needs --tls"},
      {{"--tls", "--udp", "h", "1"}, "cannot be used together"},
      {{"--tls", "--tcp", "h", "1"}, "cannot be used together"},
      {{"--tls", "--key", "k.pem", "h", "1"}, "--key needs --cert"},
      {{"-l", "--tls", "--cert", "s.pem", "--insecure", "1"}, "are for connecting"},
      {{"-l", "--tls", "--cert", "s.pem", "--sni", "x", "1"}, "are for connecting"},
      {{"--tls", "--alpn", "h2,,taps", "h", "1"}, "--alpn 'h2,,taps'"},
      {{"--tls", "--pin", "deadbeef", "h", "1"}, "--pin 'deadbeef' is not a SHA-256 digest"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.expected);
    auto r = run(row.args);
    CHECK(!r.options);
    CHECK(r.exit_code == 1);
    CHECK(r.error.find(row.expected) != std::string::npos);
    CHECK(r.error.rfind("taps-cat: ", 0) == 0);
  }
}

TEST_CASE("--tls options override the securityParameters of --config") {
  auto path = std::string("/tmp/taps-cat-options-tls-test.json");
  {
    std::ofstream f(path);
    f << R"({"securityParameters":{"allowedSecurityProtocols":["tls1.3"],"alpn":["a"],
             "serverCertificate":{"chain":"cfg.pem","privateKey":"cfg.key"}}})";
  }
  auto r = run({"--config", path, "-l", "4433"});
  REQUIRE(r.options);
  CHECK(r.options->preconnection.security_parameters().server_certificate.chain == "cfg.pem");
  r = run({"--config", path, "--alpn", "b", "--ca", "ca.pem", "h", "1"});
  REQUIRE(r.options);
  CHECK(r.options->preconnection.security_parameters().alpn == std::vector<std::string>{"b"});
  std::remove(path.c_str());
}

TEST_CASE("a service name is a PORT (RFC 9622 WithService); -z takes a range") {
  auto r = taps_cat::parse({"taps-cat", "host", "https"});
  REQUIRE(r.options);
  REQUIRE(r.options->preconnection.remote_endpoints().size() == 1);
  CHECK(r.options->preconnection.remote_endpoints().front().service() == "https");
  CHECK(!r.options->preconnection.remote_endpoints().front().port());
  auto scan = taps_cat::parse({"taps-cat", "-z", "host", "20-25"});
  REQUIRE(scan.options);
  CHECK(scan.options->port == 20);
  CHECK(scan.options->scan_last_port == 25);
  auto bad = taps_cat::parse({"taps-cat", "-z", "host", "25-20"});
  CHECK(!bad.options);
  CHECK(bad.error.find("'25-20' is not a port range") != std::string::npos);
}

TEST_CASE("--resolve takes HOST PORT like a connect, and nothing else") {
  auto r = run({"--resolve", "-4", "-p", "4000", "example.net", "443"});
  REQUIRE(r.options);
  CHECK(r.options->resolve_only);
  CHECK(r.options->preconnection.remote_endpoints().front().host_name() == "example.net");
  CHECK(r.options->preconnection.local_endpoints().front().port() == 4000);
  for (const auto& args : {std::vector<std::string>{"--resolve", "-l", "80"}, {"--resolve", "-z", "h", "20-25"}}) {
    auto bad = run(args);
    CHECK(!bad.options);
    CHECK(bad.exit_code == 1);
    CHECK(bad.error.find("--resolve takes HOST PORT") != std::string::npos);
  }
}

TEST_CASE("--resolve output: one object, endpoints with the keys of a --config file") {
  taps::ResolvedEndpoints resolved;
  resolved.local.push_back(taps::LocalEndpoint().with_ip_address("192.0.2.7").with_interface("eth0").with_port(4000));
  resolved.remote.push_back(taps::RemoteEndpoint().with_host_name("h").with_ip_address("2001:db8::1").with_port(443));
  resolved.remote.push_back(taps::RemoteEndpoint().with_ip_address("192.0.2.1").with_port(443));
  CHECK(taps_cat::resolved_json(resolved) ==
        R"({"localEndpoints":[{"ipAddress":"192.0.2.7","port":4000,"interface":"eth0"}],)"
        R"("remoteEndpoints":[{"hostName":"h","ipAddress":"2001:db8::1","port":443},{"ipAddress":"192.0.2.1","port":443}]})");
  CHECK(taps_cat::resolved_json({}) == R"({"localEndpoints":[],"remoteEndpoints":[]})");
}

TEST_CASE("--rendezvous takes -p LOCALPORT and HOST PORT, over TCP or UDP, and nothing that needs roles") {
  auto r = run({"--rendezvous", "-p", "5000", "192.0.2.1", "5000"});
  REQUIRE(r.options);
  CHECK(r.options->rendezvous);
  CHECK(r.options->preconnection.local_endpoints().front().port() == 5000);
  CHECK(r.options->preconnection.remote_endpoints().front().ip_address() == "192.0.2.1");
  auto udp = run({"--rendezvous", "--udp", "-p", "5000", "192.0.2.1", "5000"});
  REQUIRE(udp.options);
  CHECK(taps::select_stacks(udp.options->preconnection.transport_properties()).stacks.front() == taps::Stack::udp);
  struct Bad {
    std::vector<std::string> args;
    std::string error;
  };
  for (const auto& [args, error] : {
           Bad{{"--rendezvous", "192.0.2.1", "5000"}, "--rendezvous needs -p LOCALPORT"},
           Bad{{"--rendezvous", "-l", "5000"}, "--rendezvous takes HOST PORT, without -l"},
           Bad{{"--rendezvous", "-z", "-p", "1", "h", "20-25"}, "--rendezvous takes HOST PORT, without -l"},
           Bad{{"--rendezvous", "--tls", "-p", "1", "h", "1"}, "not --tls or --quic"},
           Bad{{"--rendezvous", "--quic", "-p", "1", "h", "1"}, "not --tls or --quic"},
       }) {
    CAPTURE(error);
    auto bad = run(args);
    CHECK(!bad.options);
    CHECK(bad.exit_code == 1);
    CHECK(bad.error.find(error) != std::string::npos);
  }
}
