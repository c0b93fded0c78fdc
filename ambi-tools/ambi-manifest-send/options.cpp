#include "ambi-manifest-send/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ambi/manifest.hpp"
#include "common/tool_frame.hpp"

namespace ambi_manifest_send {
namespace {

constexpr const char* synopsis =
    "ambi-manifest-send: publish AMBI manifests for a multicast stream "
    "(draft-ietf-mboned-ambi-05)\n\n"
    "  ambi-manifest-send [options] -s S -g G -p PORT --listen [HOST:]PORT --cert F --key F\n";

constexpr const char* footer = R"(Publishes the AMBI manifests (draft-ietf-mboned-ambi-05) of the multicast
stream S -> G:PORT over ambi+tls: every verifier that connects (ambi-verify)
receives the digests of the packets, and accepts only packets that match.

  --witness (default)  join (S,G) and publish digests of what arrives from S
                       (from S:--source-port only, when given), for a stream
                       that another program sends. It vouches for whatever
                       reaches it with S's address: run it where nobody else
                       can send as S (on S itself, or behind anti-spoofing)
  --originate          read stdin, send it from S to G:PORT in datagrams of
                       exactly --packet-size bytes (the last may be shorter; or
                       one per line with --lines) at --rate packets/s, and
                       publish each packet's digest before the packet itself

Examples:
  ambi-manifest-send --originate -s 10.99.0.1 -g 232.1.1.1 -p 5001 \
      --listen 10.99.0.1:4433 --cert server.pem --key server.key \
      --metadata-out stream.json < video.ts
        send a file; stream.json tells ambi-verify where the manifests are
        (add --wait-verifiers 1 --linger 5 so that a verifier started next
        gets all of it: the file takes milliseconds to send)
  tail -f app.log | ambi-manifest-send --originate --lines -s 10.99.0.1 \
      -g 232.1.1.1 -p 5001 --listen 10.99.0.1:4433 --cert server.pem \
      --key server.key --metadata-out stream.json
        one datagram per log line (ambi-verify -o raw prints them as lines)
  iperf -c 232.1.1.1 -B 10.99.0.1 -u -T 1 &
  ambi-manifest-send -s 10.99.0.1 -g 232.1.1.1 -p 5001 --listen 4433 \
      --cert server.pem --key server.key --metadata-out stream.json
        witness a stream sent by iperf (S must be this host's view of it)
  ambi-manifest-send --originate -s 2001:db8::1 -g ff3e::8000:1 -p 5001 \
      --listen [2001:db8::1]:4433 --cert server.pem --key server.key   (IPv6)

Exit codes: 0 stdin ended and every verifier has the last manifest (at most
2 s are spent waiting, then --linger), or a signal in --witness mode; 1 usage error;
2 listen, join or send setup failed; 3 sending failed.
Events (--json, JSON Lines on stderr): listening {local}, sending {local: the
source ADDR:PORT the datagrams leave from}, join, verifier
{state: connected|cut_off|refused|closed|error, peer}, manifest {manifest_seq,
first_packet_seq, count}, stats {packets, bytes, manifests}.
Limits: the manifests are kept once for all verifiers (at most --max-backlog
bytes); a verifier more than --max-backlog bytes behind is cut off, a new one
gets at most half that much history (and at most --digest-hold-time of it);
at most 64 KiB are queued for one verifier's connection at a time; beyond
--max-verifiers connections are refused (event verifier, state refused).)";

taps::apps::EarlyExit usage_error(std::string_view message) {
  return taps::apps::usage_error("ambi-manifest-send", message);
}

// "[HOST:]PORT" or "[V6]:PORT".
bool parse_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  std::string port_text = text;
  host.clear();
  if (auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "*") host.clear();
  }
  try {
    std::size_t used = 0;
    auto value = std::stoul(port_text, &used);
    if (used != port_text.size() || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

std::string uri_host(const Options& o) {
  bool wildcard = o.listen_host.empty() || o.listen_host == "0.0.0.0" || o.listen_host == "::";
  return wildcard ? o.stream.source : o.listen_host;
}

ParseResult parse(const std::vector<std::string>& args) {
  taps::apps::ToolFrame frame{"ambi-manifest-send", synopsis, footer, 34};
  auto& app = frame.app();

  Options o;
  std::string listen, hash = "sha-256";
  std::uint16_t port = 0;
  std::uint32_t stream_id = 1;
  std::int64_t interval_ms = 100, data_hold = 2000, digest_hold = 10000;
  int refresh = -1;
  double linger = 0;
  bool originate = false, witness = false;
  frame.require(app.add_option("-s,--source", o.stream.source, "The sender's address S")->type_name("ADDR"));
  frame.require(app.add_option("-g,--group", o.stream.group, "The multicast group G")->type_name("GROUP"));
  frame.require(app.add_option("-p,--port", port, "The UDP destination port")->type_name("PORT"));
  frame.require(app.add_option("--listen", listen, "Serve ambi+tls on [HOST:]PORT (port 0: any free port)")
                    ->type_name("[HOST:]PORT"));
  frame.require(app.add_option("--cert", o.cert_file, "The server certificate chain (PEM)")->type_name("FILE"));
  frame.require(app.add_option("--key", o.key_file, "Its private key (PEM)")->type_name("FILE"));
  auto* originate_flag = app.add_flag("--originate", originate, "Send stdin as the stream and publish its digests");
  app.add_flag("--witness", witness, "Join (S,G) and publish digests of what arrives (default)")->excludes(originate_flag);
  app.add_option("--stream-id", stream_id, "Manifest Stream Identifier (default 1)")->type_name("ID");
  app.add_option("--hash", hash, "sha-256 (default), sha-384 or sha-512")->type_name("ALG");
  app.add_option("--digests-per-manifest", o.digests_per_manifest, "Digests per manifest, at most (default 64)")
      ->type_name("N");
  app.add_option("--manifest-interval", interval_ms, "Publish a partial manifest after this long (default 100)")
      ->type_name("MS");
  app.add_option("--refresh-deadline", refresh, "Put a Refresh Deadline TLV in every manifest (0: the metadata is stable)")
      ->type_name("SEC");
  app.add_option("--data-hold-time", data_hold, "For the metadata (default 2000)")->type_name("MS");
  app.add_option("--digest-hold-time", digest_hold, "For the metadata and for late verifiers (default 10000)")
      ->type_name("MS");
  app.add_option("--metadata-out", o.metadata_out, "Write the stream's metadata JSON here before sending anything")
      ->type_name("FILE");
  app.add_option("--max-backlog", o.max_backlog, "A verifier this far behind is cut off (default 4 MiB)")
      ->type_name("BYTES");
  app.add_option("--max-verifiers", o.max_verifiers, "Verifiers served at once; more are refused (default 4096)")
      ->type_name("N");
  app.add_option("-i,--interface", o.interface_name, "Interface to join (witness) or send (originate) on")
      ->type_name("NAME");
  app.add_option("--packet-size", o.packet_size, "--originate: bytes per datagram, only the last shorter (default 1200)")
      ->type_name("BYTES");
  app.add_flag("--lines", o.lines, "--originate: one datagram per stdin line, newline kept (at most --packet-size)");
  app.add_option("--rate", o.rate, "--originate: packets per second (default 1000; 0: no pacing)")->type_name("PPS");
  app.add_option("--wait-verifiers", o.wait_verifiers, "--originate: verifiers connected before stdin is read (default 0)")
      ->type_name("N");
  app.add_option("--linger", linger, "--originate: keep serving the final manifests this long after EOF (default 0)")
      ->type_name("SEC");
  app.add_option("--source-port", o.source_port, "--originate sends from it; --witness witnesses only it (default: any)")
      ->type_name("PORT");
  auto* ttl_opt = app.add_option("--ttl", o.ttl, "--originate: hop limit (default 1)")->type_name("N");
  frame.add_config_option("The multicast Preconnection's properties (JSON, DESIGN.md 4)");
  if (auto exit = frame.parse(args)) return *exit;
  o.mode = originate ? Mode::originate : Mode::witness;
  taps::Preconnection config;
  if (auto exit = frame.load_config(config)) return *exit;
  if (frame.has_config()) {
    o.multicast_properties = config.transport_properties();
    if (!ttl_opt->count()) o.ttl = o.multicast_properties.multicast_hop_limit;
  }
  if (!originate && (o.wait_verifiers > 0 || linger != 0)) return usage_error("--wait-verifiers and --linger need --originate");
  if (!(linger >= 0 && linger <= 86400)) return usage_error(fmt::format("--linger {} (0..86400 s)", linger));
  o.linger = std::chrono::milliseconds(static_cast<std::int64_t>(linger * 1000));
  if (o.lines && !originate) return usage_error("--lines cuts stdin into datagrams: it needs --originate");
  if (!parse_listen(listen, o.listen_host, o.listen_port)) return usage_error(fmt::format("--listen '{}' is not [HOST:]PORT", listen));
  if (ambi::parse_hash_algorithm(hash, o.stream.hash)) return usage_error(fmt::format("--hash '{}' (sha-256, sha-384 or sha-512)", hash));
  if (o.digests_per_manifest == 0 || o.digests_per_manifest > ambi::max_digest_count) {
    return usage_error(fmt::format("--digests-per-manifest {} (1..32767)", o.digests_per_manifest));
  }
  if (interval_ms <= 0 || interval_ms > 60000) return usage_error(fmt::format("--manifest-interval {} (1..60000 ms)", interval_ms));
  o.manifest_interval = std::chrono::milliseconds(interval_ms);
  if (refresh >= 0) {
    if (refresh > 65535) return usage_error(fmt::format("--refresh-deadline {} (0..65535 s)", refresh));
    o.refresh_deadline_s = static_cast<std::uint16_t>(refresh);
  }
  if (o.max_backlog < 65536) return usage_error(fmt::format("--max-backlog {} (at least 65536)", o.max_backlog));
  if (o.max_verifiers == 0) return usage_error("--max-verifiers 0: at least one verifier must be served");
  if (o.packet_size == 0 || o.packet_size > 65507) return usage_error(fmt::format("--packet-size {} (1..65507)", o.packet_size));
  if (o.ttl < 0 || o.ttl > 255) return usage_error(fmt::format("--ttl {} (0..255)", o.ttl));
  o.stream.port = port;
  o.stream.stream_id = stream_id;
  o.stream.data_hold_time = std::chrono::milliseconds(data_hold);
  o.stream.digest_hold_time = std::chrono::milliseconds(digest_hold);
  // A placeholder URI with a valid port: the metadata checks reject bad S, G, hold times.
  o.stream.manifest_uris = {{uri_host(o), 1}};
  auto checked = ambi_metadata::parse_metadata(ambi_metadata::to_json({o.stream}));
  if (auto* error = std::get_if<ambi_metadata::MetadataError>(&checked)) {
    return usage_error(fmt::format("-s '{}' -g '{}' -p {}: {}", o.stream.source, o.stream.group, port, error->message()));
  }
  o.stream.manifest_uris.clear();
  o.verbosity = frame.verbosity();
  return ParseResult(std::move(o));
}

}  // namespace ambi_manifest_send
