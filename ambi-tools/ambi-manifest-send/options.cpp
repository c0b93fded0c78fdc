#include "ambi-manifest-send/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ambi/manifest.hpp"
#include "common/exit_codes.hpp"
#include "common/help_formatter.hpp"
#include "taps/config.hpp"
#include "common/build_info.hpp"

namespace ambi_manifest_send {
namespace {

using taps::apps::exit_usage;

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

ParseResult usage_error(std::string message) {
  return {std::nullopt, exit_usage, {},
          "ambi-manifest-send: " + message + "\nTry 'ambi-manifest-send --help' for more information."};
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
  CLI::App app{"ambi-manifest-send: publish AMBI manifests for a multicast stream (draft-ietf-mboned-ambi-05)\n\n"
               "  ambi-manifest-send [options] -s S -g G -p PORT --listen [HOST:]PORT --cert F --key F\n",
               "ambi-manifest-send"};
  app.footer(footer);
  app.set_help_flag("-h,--help", "Print this help and exit");
  taps::apps::use_help_formatter(app, 34);

  Options o;
  std::string listen, hash = "sha-256", config_file;
  std::uint16_t port = 0;
  std::uint32_t stream_id = 1;
  std::int64_t interval_ms = 100, data_hold = 2000, digest_hold = 10000;
  int refresh = -1;
  double linger = 0;
  bool originate = false, witness = false, json = false, verbose = false, version = false;
  app.add_option("-s,--source", o.stream.source, "The sender's address S")->required();
  app.add_option("-g,--group", o.stream.group, "The multicast group G")->required();
  app.add_option("-p,--port", port, "The UDP destination port")->required();
  app.add_option("--listen", listen, "Serve ambi+tls on [HOST:]PORT (port 0: any free port)")->required();
  app.add_option("--cert", o.cert_file, "The server certificate chain (PEM)")->required();
  app.add_option("--key", o.key_file, "Its private key (PEM)")->required();
  auto* originate_flag = app.add_flag("--originate", originate, "Send stdin as the stream and publish its digests");
  app.add_flag("--witness", witness, "Join (S,G) and publish digests of what arrives (default)")->excludes(originate_flag);
  app.add_option("--stream-id", stream_id, "Manifest Stream Identifier (default 1)");
  app.add_option("--hash", hash, "sha-256 (default), sha-384 or sha-512");
  app.add_option("--digests-per-manifest", o.digests_per_manifest, "Digests per manifest, at most (default 64)");
  app.add_option("--manifest-interval", interval_ms, "MS: publish a partial manifest after this long (default 100)");
  app.add_option("--refresh-deadline", refresh, "S: put a Refresh Deadline TLV in every manifest (0: the metadata is stable)");
  app.add_option("--data-hold-time", data_hold, "MS, for the metadata (default 2000)");
  app.add_option("--digest-hold-time", digest_hold, "MS, for the metadata and for late verifiers (default 10000)");
  app.add_option("--config", config_file, "FILE: the multicast Preconnection's properties (JSON, DESIGN.md 4)");
  app.add_option("--metadata-out", o.metadata_out, "Write the stream's metadata JSON here before sending anything");
  app.add_option("--max-backlog", o.max_backlog, "BYTES a verifier may lag before it is cut off (default 4 MiB)");
  app.add_option("--max-verifiers", o.max_verifiers, "N verifiers served at once; more are refused (default 4096)");
  app.add_option("-i,--interface", o.interface_name, "Interface to join (witness) or send (originate) on");
  app.add_option("--packet-size", o.packet_size, "--originate: BYTES per datagram, only the last shorter (default 1200)");
  app.add_flag("--lines", o.lines, "--originate: one datagram per stdin line, newline kept (at most --packet-size)");
  app.add_option("--rate", o.rate, "--originate: packets per second (default 1000; 0: no pacing)");
  app.add_option("--wait-verifiers", o.wait_verifiers, "--originate: N verifiers connected before stdin is read (default 0)");
  app.add_option("--linger", linger, "--originate: SEC to keep serving the final manifests after EOF (default 0)");
  app.add_option("--source-port", o.source_port, "PORT: --originate sends from it; --witness witnesses only it (default: any)");
  auto* ttl_opt = app.add_option("--ttl", o.ttl, "--originate: hop limit (default 1)");
  auto* json_flag = app.add_flag("--json", json, "Events as JSON Lines on stderr");
  app.add_flag("-v,--verbose", verbose, "Events as text on stderr")->excludes(json_flag);
  app.add_flag("--version", version, "Print the version and exit");

  std::vector<std::string> argv(args.rbegin(), args.rend() - 1);
  try {
    app.parse(argv);
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, 0, app.help(), {}};
  } catch (const CLI::ParseError& e) {
    if (version) return {std::nullopt, 0, taps::apps::version_text("ambi-manifest-send"), {}};
    return usage_error(e.what());
  }
  if (version) return {std::nullopt, 0, taps::apps::version_text("ambi-manifest-send"), {}};
  o.mode = originate ? Mode::originate : Mode::witness;
  if (!config_file.empty()) {
    auto loaded = taps::preconnection_from_json_file(config_file);
    if (!loaded) return usage_error("--config: " + loaded.error().message());
    o.multicast_properties = loaded.value().transport_properties();
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
  o.verbosity = json ? Verbosity::json : verbose ? Verbosity::verbose : Verbosity::quiet;
  return {std::move(o), 0, {}, {}};
}

}  // namespace ambi_manifest_send
