#include "taps-cat/options.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <ranges>
#include <string_view>
#include <utility>

#include "common/number_text.hpp"
#include "common/tool_frame.hpp"
#include "taps/framer.hpp"
#include "taps-cat/multicast_options.hpp"
#include "taps-cat/race_options.hpp"

namespace taps_cat {
namespace {

constexpr const char* synopsis =
    "taps-cat: netcat on the IETF Transport Services API (RFC 9622)\n\n"
    "  taps-cat [options] HOST PORT          connect, copy stdin <-> connection\n"
    "  taps-cat [options] -l [HOST] PORT     listen (one connection; -k for more)\n";

constexpr const char* footer = R"(Connect (Initiate) copies stdin to the connection and the connection to
stdout. At stdin EOF taps-cat half-closes (TLS close_notify, TCP FIN) and exits
0 once the peer has closed and every byte is on stdout. With --udp each read of
stdin is one datagram (at most 65507 bytes).

Examples:
  taps-cat example.net 80                      talk TCP to a server
  head -c 1G /dev/urandom | taps-cat host 5000   send exactly those bytes
  taps-cat -l 5000 > received.bin              receive one connection, then exit
  taps-cat -l -k -e cat 7                      echo service for every client
  taps-cat -l 127.0.0.1 0 --json               listen on a free port; the
                                               "listening" event names it
  taps-cat --udp -w 1 192.0.2.1 53 < query.bin one datagram, wait 1 s for replies
  taps-cat --json ::1 8080 < /dev/null         show resolution, attempts, ready
  taps-cat --framer lp host 7000 < lines.txt   each line one length-prefixed message
  taps-cat --tls example.net 443               TLS 1.3, verified with the system CAs
  taps-cat -l --tls --cert s.pem --key s.key 4433   a TLS server
  taps-cat -l --tls 4433                       TLS with an ephemeral certificate; its
                                               pin on stderr, for: --tls --pin PIN
  taps-cat --config pre.json --print-config    the effective Preconnection
  taps-cat --json -r 192.0.2.2:80 192.0.2.1 80 race two servers, 250 ms apart
  taps-cat --protocols tls,tcp host 443        TLS, else plain TCP (with a warning)
  taps-cat -l -k --protocols tcp,udp 5000      serve TCP and UDP clients on port 5000
  taps-cat --quic --ca ca.pem host 4433        QUIC (one stream; ALPN taps unless --alpn)
  taps-cat -l --quic --cert s.pem --key s.key 4433   a QUIC server, one Connection per stream
  taps-cat --protocols quic,tls host 443       QUIC and TLS/TCP race; QUIC starts first
  taps-cat -i eth1 host 80                     only via eth1 (-i wlan0:avoid: last)
  taps-cat -z host 20-25                       scan: "host PORT open|closed: why"
  taps-cat -p 40000 host https                 source port 40000, service name as PORT
  taps-cat --clone 4 host 7 < lines.txt        4 connections of one connection group
                                               (TLS: the clones resume the session;
                                               --quic: 4 streams of one QUIC connection);
                                               stdin lines go to them in turn
  taps-cat --resolve host 443                  the endpoints a connect would use, as
                                               JSON; nothing is connected
  taps-cat --rendezvous -p 5000 hostB 5000     on hostA, and on hostB the same with
                                               hostA: one TCP connection between the two,
                                               whichever starts first (--udp: UDP)

--resolve prints one JSON object on stdout and exits 0 (2 when nothing resolves):
  {"localEndpoints":[{"ipAddress":"192.0.2.7","interface":"eth0"}],
   "remoteEndpoints":[{"hostName":"host","ipAddress":"2001:db8::1","port":443},
                      {"hostName":"host","ipAddress":"192.0.2.1","port":443}]}
Remote endpoints come in the order connecting tries them; local endpoints are the
source addresses the routes choose (or -s), with their interface and -p. Keys as in
--config files: hostName, ipAddress, port, interface (each only when known).

--rendezvous (RFC 9622 Rendezvous) listens on -p PORT and connects from that port to
HOST PORT every 100 ms until the peer, doing the same, is met: by its connect, by
ours, or both at once (TCP simultaneous open). Then it copies as a connect does.
Only HOST's address may connect to PORT meanwhile. --timeout bounds the wait (exit
4); without it taps-cat waits for the peer. With --udp the socket is bound and
connected at once, and nothing checks that the peer is there: datagrams sent
before the peer runs are lost. Not with --tls or --quic (neither side would be the
server).

Exit codes:
  0 success   1 usage or configuration error   2 establishment failed
  3 connection lost or protocol error (with -e: the command failed)   4 timeout
  128+N killed by signal N (a second signal stops at once)

Limits: 1 MiB waiting per direction and connection; --max-message per message;
--max-clients connections with -k; 10 s per TLS handshake; 30 s for the peer
to finish after close(). localhost is ::1 and 127.0.0.1 without DNS.

Events (--json): one JSON object per line on stderr with "t" (seconds since
start) and "event": certificate, listening, resolve, attempt, attempt_failed, ready,
rendezvous_done, cancelled, connection_received, sent, received, closed, connection_error,
establishment_error, soft_error, path_change (the local address or its interface
went away or came back), client_limit, exec_exit, scan. Payload goes to stdout only.)";

// A service name of /etc/services ("https"), as netcat accepts for PORT.
bool is_service_name(const std::string& text) {
  return !text.empty() && text.size() <= 32 && std::isalpha(static_cast<unsigned char>(text[0])) &&
         text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+.") == std::string::npos;
}

// PORT: 0 is "any port" when listening (connecting to it is refused later).
std::optional<std::uint16_t> parse_port(std::string_view text) { return taps::apps::parse_port(text, true); }

std::optional<std::chrono::milliseconds> parse_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 86400.0 * 365) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

bool is_ip_literal(const std::string& s) {
  // Cheap syntactic test; the engine validates for real and names the bad value.
  return !s.empty() && (s.find(':') != std::string::npos ||
                        s.find_first_not_of("0123456789.") == std::string::npos);
}

taps::apps::EarlyExit usage_error(std::string_view message) { return taps::apps::usage_error("taps-cat", message); }

// --tls and the options that shape it; they override the config file's securityParameters.
struct TlsFlags {
  bool tls = false, quic = false, insecure = false;
  std::string ca, cert, key, sni, alpn;
  std::vector<std::string> pins;
};

void add_tls_options(CLI::App& app, TlsFlags& f) {
  app.add_flag("--tls", f.tls, "TLS 1.3 over TCP, certificate and host name verified; never plain TCP")
      ->excludes(app.get_option("--tcp"))
      ->excludes(app.get_option("--udp"));
  app.add_flag("--quic", f.quic, "QUIC (TLS 1.3 inside, over UDP), certificate and host name verified; ALPN taps "
                                 "unless --alpn")
      ->excludes(app.get_option("--tcp"))
      ->excludes(app.get_option("--udp"))
      ->excludes(app.get_option("--tls"));
  app.add_option("--ca", f.ca, "TLS: trust these CAs (PEM file or hashed directory), not the system store; "
                               "with -l: clients must show a certificate they issued (mutual TLS)")
      ->type_name("FILE");
  app.add_option("--cert", f.cert, "TLS: certificate chain (PEM); with -l the server's (default: an ephemeral "
                                   "self-signed one, its --pin printed on stderr), else the client's")
      ->type_name("FILE");
  app.add_option("--key", f.key, "TLS: private key of --cert (PEM; default: in the --cert file)")->type_name("FILE");
  app.add_option("--sni", f.sni, "TLS: server name to send and verify (default: HOST)")->type_name("NAME");
  app.add_option("--alpn", f.alpn, "TLS: ALPN protocols, comma separated; the peer must agree on one")
      ->type_name("LIST");
  app.add_flag("--insecure", f.insecure, "TLS: do not verify the server's certificate and name (warns)");
  app.add_option("--pin", f.pins, "TLS: accept this server key and no other (SHA-256 of its SPKI, hex or base64); "
                                 "a matching key needs no CA or name check (as DANE-EE)")
      ->type_name("SHA256")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// The error, or nothing when the flags fit the mode and the TLS they describe.
std::optional<std::string> apply_tls_options(const TlsFlags& f, Options& o) {
  auto& s = o.preconnection.security_parameters();
  if (f.tls || f.quic) s.allowed_security_protocols = {"tls1.3"};
  // QUIC alone (multistreaming required) or QUIC racing TLS/TCP, QUIC first (preferred).
  if (f.quic) {
    o.preconnection.transport_properties().set("multistreaming",
                                                f.tls ? taps::Preference::prefer : taps::Preference::require);
  }
  if (s.is_disabled()) {
    for (const auto& [set, name] : {std::pair{!f.ca.empty(), "--ca"}, {!f.cert.empty(), "--cert"},
                                    {!f.key.empty(), "--key"}, {!f.sni.empty(), "--sni"}, {!f.alpn.empty(), "--alpn"},
                                    {f.insecure, "--insecure"}, {!f.pins.empty(), "--pin"}}) {
      if (set) return fmt::format("{} needs --tls or --quic", name);
    }
    return std::nullopt;
  }
  bool listen = o.mode == Mode::listen;
  if (listen && (f.insecure || !f.pins.empty() || !f.sni.empty())) {
    return "--insecure, --pin and --sni are for connecting: they concern the server's certificate";
  }
  if (!f.key.empty() && f.cert.empty()) return "--key needs --cert";
  if (!f.ca.empty()) s.trusted_certificates = f.ca;
  if (!f.cert.empty()) (listen ? s.server_certificate : s.client_certificate) = {f.cert, f.key};
  if (!f.sni.empty()) s.server_name = f.sni;
  if (!f.alpn.empty()) {
    s.alpn.clear();
    for (const auto part : std::views::split(std::string_view(f.alpn), ',')) {
      std::string name(part.begin(), part.end());
      if (name.empty() || name.size() > 255) return fmt::format("--alpn '{}': each protocol is 1-255 bytes", f.alpn);
      s.alpn.push_back(std::move(name));
    }
  }
  for (const auto& text : f.pins) {
    auto pin = taps::parse_spki_pin(text);
    if (!pin) return fmt::format("--pin '{}' is not a SHA-256 digest in hex (64 digits) or base64 (44 characters)", text);
    s.pinned_server_certificate.push_back(*pin);
  }
  if (f.insecure) s.insecure_skip_verify = true;
  o.ephemeral_certificate = listen && s.server_certificate.empty();
  if (s.insecure_skip_verify && !listen) {
    o.warnings.push_back(s.pinned_server_certificate.empty()
                             ? "--insecure: the server's certificate and name are NOT verified; "
                               "anyone on the path can impersonate it"
                             : "--insecure: the server's certificate and name are NOT verified; only its pinned key is");
  }
  return std::nullopt;
}

}  // namespace

ParseResult parse(const std::vector<std::string>& args) {
  taps::apps::ToolFrame frame{"taps-cat", synopsis, footer, 34};
  auto& app = frame.app();

  std::vector<std::string> positionals;
  bool listen = false, tcp = false, udp = false, v4 = false, v6 = false;
  std::string source;
  double timeout = 0, wait = 0;
  int attempt_delay = 0;
  Options o;

  app.add_option("args", positionals, "HOST PORT, or with -l: [HOST] PORT")->type_name("HOST PORT");
  app.add_flag("-l,--listen", listen, "Listen (Listen) instead of connecting");
  app.add_flag("-k,--keep-open", o.keep_open, "With -l: keep accepting; serve every connection");
  std::string max_clients_text;
  auto* max_clients_option =
      app.add_option("--max-clients", max_clients_text, "With -k: connections served at once (default 256); more wait")
          ->type_name("N");
  app.add_option("-e,--exec", o.exec, "With -l: run /bin/sh -c CMD per connection, its stdin and stdout on the connection")
      ->type_name("CMD");
  auto* tcp_flag = app.add_flag("--tcp", tcp, "TCP (default): reliability required");
  app.add_flag("--udp", udp, "UDP: reliability prohibited, one datagram per read")->excludes(tcp_flag);
  auto* v4_flag = app.add_flag("-4", v4, "IPv4 only");
  app.add_flag("-6", v6, "IPv6 only")->excludes(v4_flag);
  app.add_option("-s,--source", source, "Local address to send from (connect)")->type_name("ADDR");
  std::string local_port_text;
  auto* local_port_option =
      app.add_option("-p,--local-port", local_port_text, "Local (source) port to connect from")->type_name("PORT");
  app.add_flag("-z,--scan", o.scan, "Connect-only scan: one result line per port (PORT may be a range, 20-25); "
                                    "exit 0 if any port is open");
  std::string clone_text;
  auto* clone_option = app.add_option("--clone", clone_text,
                                      "Open N connections of one connection group (Initiate, then N-1 clones) and "
                                      "send stdin lines to them in turn (over QUIC: N streams of one QUIC connection); events carry "
                                      "\"group\" (and over QUIC \"stream\")")
                           ->type_name("N");
  app.add_flag("--resolve", o.resolve_only,
               "Resolve HOST PORT: print the local and remote endpoints a connect would use (one JSON object, "
               "below) and exit; nothing is connected");
  app.add_flag("--rendezvous", o.rendezvous,
               "Meet a peer that runs the same (Rendezvous, TCP simultaneous open or UDP): listen on -p PORT "
               "and connect from it to HOST PORT until one of the two connects; needs -p");
  auto* recv_only_flag = app.add_flag("--recv-only", o.recv_only, "Only receive: never read stdin, never send");
  app.add_flag("--send-only", o.send_only, "Only send: what arrives is read and discarded, never written to stdout")
      ->excludes(recv_only_flag);
  app.add_flag("--fast-open", o.fast_open,
               "Send the first read of stdin with the connection (InitiateWithSend, safelyReplayable): over TCP "
               "in the SYN (TCP Fast Open) once the kernel has the server's cookie; connects once stdin has data. "
               "Only for data the server may receive twice");
  MulticastFlags multicast_flags;
  add_multicast_options(app, multicast_flags);
  RaceFlags race_flags;
  add_race_options(app, race_flags);
  auto* timeout_option = app.add_option("--timeout", timeout, "Establishment timeout in seconds (resolution and every attempt)")
                             ->type_name("SEC");
  app.add_option("-w,--wait", wait,
                 "UDP: after stdin EOF, keep receiving replies for SEC seconds; TCP/TLS: give up (exit 4) "
                 "after SEC seconds without data either way")
      ->type_name("SEC");
  app.add_flag("--lines", o.datagram_lines, "With --udp: each stdin line (newline kept) is one datagram, not each read");
  auto* attempt_delay_option = app.add_option("--attempt-delay", attempt_delay, "Connection Attempt Delay between racing attempts, ms (10-2000, default 250)")
                                  ->type_name("MS");
  std::vector<std::string> framers;
  std::string max_message_text;
  auto* framer_option = app.add_option("--framer", framers,
                 "Message framing: line or lp (4-byte length); repeat to stack, the last runs first on output. "
                 "Each stdin line is then one message and each message one line of stdout")
                           ->type_name("line|lp")
                           ->expected(1)
                           ->allow_extra_args(false)
                           ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* max_message_option = app.add_option("--max-message", max_message_text,
                                            "Largest message a framer sends or accepts, bytes (1-4294967295, "
                                            "default 16777216)")
                                 ->type_name("BYTES");
  TlsFlags tls_flags;
  add_tls_options(app, tls_flags);
  app.add_flag("--print-config", o.print_config, "Print the effective Preconnection as JSON and exit");
  frame.add_config_option("Read the Preconnection from a JSON file; options override it");
  if (auto exit = frame.parse(args)) return *exit;

  o.mode = listen ? Mode::listen : Mode::connect;
  o.verbosity = frame.verbosity();
  o.config_file = frame.config_file();
  if (auto exit = frame.load_config(o.preconnection)) return *exit;
  if (positionals.size() > 2) {
    return usage_error(fmt::format("unexpected argument '{}': {}", positionals[2],
                                   o.mode == Mode::listen ? "-l takes [HOST] PORT" : "give HOST PORT"));
  }
  auto& props = o.preconnection.transport_properties();

  std::string host, port_text;
  if (o.mode == Mode::connect) {
    if (positionals.size() == 2) {
      host = positionals[0];
      port_text = positionals[1];
    } else if (!positionals.empty() || o.preconnection.remote_endpoints().empty()) {
      return usage_error("connect needs HOST and PORT");
    }
  } else {
    if (positionals.empty()) return usage_error("-l needs a PORT");
    port_text = positionals.back();
    if (positionals.size() == 2) host = positionals[0];
  }
  if (!port_text.empty()) {
    std::string first_text = port_text;
    if (auto dash = port_text.find('-'); o.scan && dash != std::string::npos && std::isdigit(static_cast<unsigned char>(port_text[0]))) {
      first_text = port_text.substr(0, dash);
      auto last = parse_port(port_text.substr(dash + 1));
      auto first = parse_port(first_text);
      if (!first || !last || *first == 0 || *last < *first) {
        return usage_error(fmt::format("'{}' is not a port range FIRST-LAST (1-65535, FIRST <= LAST)", port_text));
      }
      o.scan_last_port = *last;
    }
    auto port = parse_port(first_text);
    bool service = !port && is_service_name(port_text);
    if (!port && !service) {
      return usage_error(fmt::format("'{}' is not a port number (0-65535) or a service name", port_text));
    }
    if (o.mode == Mode::connect && port && *port == 0) return usage_error("cannot connect to port 0");
    o.host = host;
    o.port = port.value_or(0);
    if (o.scan && o.scan_last_port == 0) o.scan_last_port = o.port;
    if (o.mode == Mode::connect) {
      taps::RemoteEndpoint remote;
      if (is_ip_literal(host)) remote.with_ip_address(host);
      else remote.with_host_name(host);
      if (service) remote.with_service(port_text);
      else remote.with_port(*port);
      o.preconnection.remote_endpoints() = {remote};
    } else {
      taps::LocalEndpoint local;
      if (!host.empty()) {
        if (is_ip_literal(host)) local.with_ip_address(host);
        else local.with_host_name(host);
      }
      if (service) local.with_service(port_text);
      else local.with_port(*port);
      o.preconnection.local_endpoints() = {local};
    }
  }
  if (o.resolve_only && (o.mode == Mode::listen || o.scan)) return usage_error("--resolve takes HOST PORT, without -l or -z");
  if (o.rendezvous) {
    if (o.mode == Mode::listen || o.scan || o.resolve_only || clone_option->count() > 0) {
      return usage_error("--rendezvous takes HOST PORT, without -l, -z, --resolve or --clone");
    }
    if (tls_flags.tls || tls_flags.quic) {
      return usage_error("--rendezvous works over TCP or UDP, not --tls or --quic: both peers initiate, so "
                         "neither would be the TLS server");
    }
    if (local_port_option->count() == 0) {
      return usage_error("--rendezvous needs -p LOCALPORT: both peers listen on it and connect from it "
                         "(taps-cat --rendezvous -p 5000 HOST 5000)");
    }
  }
  if (o.scan && (o.mode != Mode::connect || o.port == 0)) {
    return usage_error("-z scans ports of a HOST: give HOST and a PORT number or range, without -l");
  }
  if (clone_option->count() > 0) {
    auto n = taps::apps::parse_unsigned(clone_text, 1, 1000);
    if (!n) return usage_error(fmt::format("--clone {} is not a number of connections (1-1000)", clone_text));
    if (o.mode != Mode::connect || o.scan || o.recv_only || o.send_only) {
      return usage_error("--clone connects and sends stdin: not with -l, -z, --recv-only or --send-only");
    }
    o.clone = *n;
  }
  if ((o.recv_only || o.send_only) && !o.exec.empty()) {
    return usage_error("--recv-only and --send-only are for stdin and stdout, not -e");
  }
  if ((o.keep_open || !o.exec.empty()) && o.mode != Mode::listen) {
    return usage_error(fmt::format("{} works only with -l", o.keep_open ? "-k" : "-e"));
  }
  if (!source.empty() || local_port_option->count() > 0) {
    if (o.mode == Mode::listen) {
      return usage_error("-s and -p are for connecting; with -l give the address as HOST and the port as PORT");
    }
    taps::LocalEndpoint local;
    if (!source.empty()) local.with_ip_address(source);
    if (local_port_option->count() > 0) {
      auto port = parse_port(local_port_text);
      if (!port || *port == 0) return usage_error(fmt::format("-p '{}' is not a port number (1-65535)", local_port_text));
      local.with_port(*port);
    }
    o.preconnection.local_endpoints() = {local};
  }
  if (max_message_option->count() > 0) {
    auto max = taps::apps::parse_unsigned(max_message_text, 1, 0xffffffffu);
    if (!max) return usage_error(fmt::format("--max-message '{}' is not a size in bytes from 1 to 4294967295", max_message_text));
    o.max_message = *max;
  }
  if (max_clients_option->count() > 0) {
    auto max = taps::apps::parse_unsigned(max_clients_text, 1, 1000000);
    if (!max) return usage_error(fmt::format("--max-clients '{}' is not a number from 1 to 1000000", max_clients_text));
    if (!o.keep_open) return usage_error("--max-clients works only with -l -k");
    o.max_clients = *max;
  }
  if (framer_option->count() > 0) {
    o.preconnection.framers().clear();
    for (const auto& name : framers) {
      auto framer = taps::framer_by_name(name, o.max_message);
      if (!framer) return usage_error(fmt::format("unknown framer '{}' (available: line, lp)", name));
      o.preconnection.add_framer(std::move(*framer));
    }
  }
  if (auto error = apply_protocols(race_flags, o.mode == Mode::listen, tls_flags.tls, tcp, udp, tls_flags.quic)) {
    return usage_error(*error);
  }
  if (auto error = apply_tls_options(tls_flags, o)) return usage_error(*error);
  if (udp) {
    props.set("reliability", taps::Preference::prohibit);
    props.set("preserveMsgBoundaries", taps::Preference::require);
  } else if (tcp) {
    props.set("reliability", taps::Preference::require);
  } else if (race_flags.tcp_and_udp) {
    // Explicitly indifferent, so that the RFC defaults do not prune UDP away.
    for (auto name : {"reliability", "preserveMsgBoundaries", "preserveOrder", "congestionControl"}) {
      props.set(name, taps::Preference::no_preference);
    }
  }
  if (o.datagram_lines && (!udp || framer_option->count() > 0)) {
    return usage_error("--lines is for --udp without --framer (a framer already makes each line a message)");
  }
  // A peer that vanishes (power off, a blackhole) must not hold taps-cat for ever:
  // keepalive probes after 30 s of silence, unless the config file says otherwise.
  if (!props.is_explicit("keepAlive")) {
    props.set("keepAlive", taps::Preference::prefer);
    if (!props.connection.keep_alive_timeout) props.connection.keep_alive_timeout = std::chrono::seconds(30);
  }
  if (v4) props.address_family = 4;
  if (v6) props.address_family = 6;
  if (timeout_option->count() > 0) {
    auto t = parse_seconds(timeout);
    if (!t) return usage_error(fmt::format("--timeout {} is not a duration in seconds", timeout));
    o.timeout = *t;
  }
  auto w = parse_seconds(wait);
  if (!w) return usage_error(fmt::format("--wait {} is not a duration in seconds", wait));
  o.wait = *w;
  if (attempt_delay_option->count() > 0) {
    int clamped = std::clamp(attempt_delay, 10, 2000);
    if (clamped != attempt_delay) {
      o.warnings.push_back(fmt::format("--attempt-delay {} ms is outside 10..2000, using {} ms", attempt_delay, clamped));
    }
    props.connection_attempt_delay = std::chrono::milliseconds(clamped);
  }
  if (auto error = apply_multicast_options(multicast_flags, o)) return usage_error(*error);
  if (auto error = apply_race_options(race_flags, o, is_multicast_group(o))) return usage_error(*error);
  if (o.fast_open && (o.mode != Mode::connect || o.scan || o.clone > 0 || o.recv_only || o.framed() || o.rendezvous)) {
    return usage_error("--fast-open sends stdin's first read as it is when connecting: not with -l, -z, --clone, "
                       "--recv-only, --framer or --rendezvous");
  }
  auto warnings = std::move(o.warnings);
  return ParseResult(std::move(o), std::move(warnings));
}

}  // namespace taps_cat
