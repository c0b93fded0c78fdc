#include "ambi-verify/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/number_text.hpp"
#include "common/tool_frame.hpp"

namespace ambi_verify {
namespace {

constexpr const char* synopsis =
    "ambi-verify: receive an AMBI-authenticated multicast stream (draft-ietf-mboned-ambi-05)\n\n"
    "  ambi-verify [options] --metadata FILE\n"
    "  ambi-verify [options] -s S -g G -p PORT --manifest ambi+tls://HOST:PORT\n";

constexpr const char* footer = R"(Joins (S,G), connects to the stream's manifest server over ambi+tls (TLS 1.3,
certificate verified against --ca), and writes to stdout only the payloads whose
digest (draft-ietf-mboned-ambi-05: hash of a pseudoheader with source, group,
ports and stream identifier, and the payload) arrived in a manifest. A packet
that arrives before its digest waits up to data-hold-time; each digest
authenticates one packet; digests expire after digest-hold-time.

Examples:
  ambi-verify --metadata stream.json --ca ca.pem
        verify the stream that ambi-manifest-send --metadata-out described
  ambi-verify --metadata stream.json --ca ca.pem -c 100 -o lines --json
        100 authenticated payloads, one per line; events as JSON on stderr
  ambi-verify -s 10.99.0.1 -g 232.1.1.1 -p 5001 \
      --manifest ambi+tls://10.99.0.1:4433 --ca ca.pem -t 10 --stats --strict
        without metadata; 10 s; exit 5 at the first forged or replayed packet
  ambi-verify --metadata v6.json --ca ca.pem -o hex       IPv6 works the same

Exit codes:
  0 -c N payloads verified (or -t ended after at least one)   1 usage error
  2 join failed, or the manifest server's certificate failed verification
    --manifest-attempts times in a row   3 output failed (stdout closed)
  4 nothing (or fewer than -c N) verified within -t
  5 --strict: a packet failed authentication (timeout, no-digest, replay) or
    the manifest server sent a broken stream

Drops are counted by reason: timeout (no digest within data-hold-time; a forged,
altered or misaddressed packet), replay (its digest was already used), overflow
(pending buffer full), truncated (larger than the receive buffer), no-digest.
Events (--json, JSON Lines on stderr): join, manifest_channel {state, uri,
error, retry_ms, orderly}, manifest {manifest_seq, first_packet_seq, count},
manifest_gap {expected, got, missed}, verified
{seq, size, sender}, dropped {reason, size, sender} (at most 10 a second, the
rest in one dropped_summary {dropped {reason: n}, count} a second), stats {verified, dropped
{reason: n}, held (arrived before their digest), manifests, digests,
digests_too_old, manifests_missed, senders, senders_evicted, senders_refused},
leave.

Once only: a packet sequence number whose digest was used, expired or evicted is
never learned again (an anti-replay window of 262144 sequence numbers, 32 KiB),
so manifests re-sent after a reconnect re-arm nothing.
The manifest channel: a broken stream (wrong stream id, bad TLVs) is
disconnected and retried after 1 s, doubling to 60 s; silence longer than
max(3 x the manifest interval, data-hold-time) while packets wait is a
disconnect too; TCP keep-alive probes every 5 s.
Limits: pending packets (--max-pending, --max-pending-bytes), 131072 held
digests, --max-senders sender ports: when full, datagrams from other ports are
dropped without state until a slot frees (every second, senders that delivered
nothing for data-hold-time give theirs up: stats senders_evicted); senders quiet
for 60 s are forgotten.
Threads: --workers N > 1 hashes packets on N-1 threads in batches of up to 64
datagrams; receiving, the digest store and delivery stay on one thread, so
delivery order and the once-only rule are those of --workers 1. At most 8 MiB of
datagrams wait for the hash threads (more: overflow).)";

taps::apps::EarlyExit usage_error(std::string_view message) { return taps::apps::usage_error("ambi-verify", message); }

}  // namespace

std::variant<ambi_metadata::StreamMetadata, std::string> choose_stream(const std::vector<ambi_metadata::StreamMetadata>& streams,
                                                                       const StreamChoice& choice) {
  std::vector<const ambi_metadata::StreamMetadata*> matches;
  for (const auto& s : streams) {
    if ((!choice.source || *choice.source == s.source) && (!choice.group || *choice.group == s.group) &&
        (!choice.port || *choice.port == s.port) && (!choice.stream_id || *choice.stream_id == s.stream_id)) {
      matches.push_back(&s);
    }
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) return std::string("no stream in the metadata matches --source/--group/--port/--stream-id");
  return fmt::format("the metadata describes {} streams: choose one with --source, --group, --port or --stream-id",
                     matches.size());
}

std::optional<ambi_metadata::StreamMetadata> refreshed_stream(const std::vector<ambi_metadata::StreamMetadata>& streams,
                                                              const ambi_metadata::StreamMetadata& current) {
  const ambi_metadata::StreamMetadata* best = nullptr;
  // Better: no expiration over one; the current identifier among those without; a later
  // expiration (RFC 3339 in UTC compares as text).
  auto better = [&](const ambi_metadata::StreamMetadata& a, const ambi_metadata::StreamMetadata& b) {
    if (a.expiration.has_value() != b.expiration.has_value()) return !a.expiration.has_value();
    if (!a.expiration) return a.stream_id == current.stream_id && b.stream_id != current.stream_id;
    return *a.expiration > *b.expiration;
  };
  for (const auto& s : streams) {
    if (s.source != current.source || s.group != current.group || s.port != current.port || s.manifest_uris.empty()) continue;
    if (!best || better(s, *best)) best = &s;
  }
  if (!best) return std::nullopt;
  return *best;
}

ParseResult parse(const std::vector<std::string>& args) {
  taps::apps::ToolFrame frame{"ambi-verify", synopsis, footer, 32};
  auto& app = frame.app();

  Options o;
  std::vector<std::string> warnings;
  std::string source, group, manifest, hash = "sha-256", output = "raw", duration;
  std::uint16_t port = 0;
  std::uint32_t stream_id = 1;
  std::uint64_t count = 0;
  std::int64_t data_hold = 0, digest_hold = 0;
  std::size_t max_pending = o.limits.max_pending_packets, max_pending_bytes = o.limits.max_pending_bytes;
  app.add_option("--metadata", o.metadata_file, "The stream's metadata JSON (ietf-dorms + ietf-ambi)")->type_name("FILE");
  auto* source_opt = app.add_option("-s,--source", source, "The sender's address S")->type_name("ADDR");
  auto* group_opt = app.add_option("-g,--group", group, "The multicast group G")->type_name("GROUP");
  auto* port_opt = app.add_option("-p,--port", port, "The UDP destination port")->type_name("PORT");
  auto* manifest_opt = app.add_option("--manifest", manifest, "The manifest server, ambi+tls://HOST:PORT")->type_name("URI");
  auto* stream_opt = app.add_option("--stream-id", stream_id, "Manifest Stream Identifier (default 1)")->type_name("ID");
  auto* hash_opt = app.add_option("--hash", hash, "sha-256 (default), sha-384 or sha-512")->type_name("ALG");
  app.add_option("--ca", o.ca_file, "CA file for the manifest server's certificate (default: system store)")
      ->type_name("FILE");
  app.add_option("-i,--interface", o.interface_name, "Interface to join on (default: the route toward S)")
      ->type_name("NAME");
  auto* count_opt = app.add_option("-c,--count", count, "Exit 0 after N verified payloads")->type_name("N");
  app.add_option("-t,--duration", duration, "Exit after SEC seconds (exit 4 if nothing was verified)")->type_name("SEC");
  app.add_option("-o,--output", output, "Payloads on stdout: raw, lines (a newline after each), hex, none")
      ->type_name("MODE");
  app.add_flag("--stats", o.stats, "Counters (verified, dropped by reason) on stderr at exit");
  app.add_flag("--strict", o.strict, "Exit 5 at the first integrity failure");
  app.add_option("--manifest-attempts", o.manifest_attempts,
                 "Exit 2 once the manifest server's certificate failed verification N times in a row (default 3; "
                 "0: retry for ever)")
      ->type_name("N");
  auto* data_hold_opt =
      app.add_option("--data-hold-time", data_hold, "A packet waits this long for its digest (metadata, else 2000)")
          ->type_name("MS");
  auto* digest_hold_opt =
      app.add_option("--digest-hold-time", digest_hold, "A digest is held this long (metadata, else 10000)")
          ->type_name("MS");
  app.add_option("--max-pending", max_pending, "Packets waiting for a digest, at most (default 4096)")->type_name("N");
  app.add_option("--max-pending-bytes", max_pending_bytes, "Bytes waiting for a digest, at most (default 8 MiB)")
      ->type_name("BYTES");
  app.add_option("--max-senders", o.max_senders, "Sender ports tracked at once (default 256; see Limits)")
      ->type_name("N");
  app.add_option("--workers", o.workers, "Threads that verify: N-1 of them hash packets in batches (default 1)")
      ->type_name("N");
  frame.add_config_option("The multicast Preconnection's properties (JSON, DESIGN.md 4)");
  if (auto exit = frame.parse(args)) return *exit;
  taps::Preconnection config;
  if (auto exit = frame.load_config(config)) return *exit;
  if (frame.has_config()) o.multicast_properties = config.transport_properties();

  if (!o.metadata_file.empty()) {
    if (*manifest_opt || *hash_opt) return usage_error("--manifest and --hash come from the metadata: drop them or --metadata");
    auto parsed = ambi_metadata::read_metadata_file(o.metadata_file);
    if (auto* error = std::get_if<ambi_metadata::MetadataError>(&parsed)) return usage_error(error->message());
    StreamChoice choice;
    if (*source_opt) choice.source = source;
    if (*group_opt) choice.group = group;
    if (*port_opt) choice.port = port;
    if (*stream_opt) choice.stream_id = stream_id;
    auto chosen = choose_stream(std::get<0>(parsed), choice);
    if (auto* error = std::get_if<std::string>(&chosen)) return usage_error(*error);
    o.stream = std::get<0>(chosen);
    for (const auto& uri : o.stream.other_uris) {
      warnings.push_back(fmt::format("skipping manifest URI '{}': only ambi+tls is spoken", uri));
    }
    if (o.stream.manifest_uris.empty()) {
      return usage_error(fmt::format("{}: stream {} of {} -> {}:{} has no ambi+tls manifest URI", o.metadata_file,
                                     o.stream.stream_id, o.stream.source, o.stream.group, o.stream.port));
    }
  } else {
    if (!*source_opt || !*group_opt || !*port_opt || !*manifest_opt) {
      return usage_error("needs --metadata FILE, or --source, --group, --port and --manifest");
    }
    // The same checks as a metadata file, so that both spellings mean the same.
    ambi_metadata::StreamMetadata s;
    s.source = source;
    s.group = group;
    s.port = port;
    s.stream_id = stream_id;
    auto uri = ambi_metadata::parse_manifest_uri(manifest);
    if (!uri) return usage_error(fmt::format("--manifest '{}' is not ambi+tls://HOST:PORT", manifest));
    s.manifest_uris = {*uri};
    if (ambi::parse_hash_algorithm(hash, s.hash)) return usage_error(fmt::format("--hash '{}' (sha-256, sha-384 or sha-512)", hash));
    auto checked = ambi_metadata::parse_metadata(ambi_metadata::to_json({s}));
    if (auto* error = std::get_if<ambi_metadata::MetadataError>(&checked)) {
      return usage_error(fmt::format("--source '{}' --group '{}' --port {}: {}", source, group, port, error->what));
    }
    o.stream = std::move(s);
  }
  if (port_opt->count() > 0 && port == 0) return usage_error("--port 0 is not a port");
  if (*data_hold_opt) {
    if (data_hold < 0 || data_hold > 86'400'000) return usage_error(fmt::format("--data-hold-time {} (0..86400000 ms)", data_hold));
    o.stream.data_hold_time = std::chrono::milliseconds(data_hold);
  }
  if (*digest_hold_opt) {
    if (digest_hold <= 0 || digest_hold > 86'400'000) return usage_error(fmt::format("--digest-hold-time {} (1..86400000 ms)", digest_hold));
    o.stream.digest_hold_time = std::chrono::milliseconds(digest_hold);
  }
  if (o.stream.digest_hold_time.count() == 0) {
    warnings.push_back("digest-hold-time 0 ms would expire every digest as it arrives: 1 ms is used");
    o.stream.digest_hold_time = std::chrono::milliseconds(1);
  }
  o.limits.data_hold_time = o.stream.data_hold_time;
  o.limits.digest_hold_time = o.stream.digest_hold_time;
  if (max_pending == 0 || max_pending_bytes == 0) return usage_error("--max-pending and --max-pending-bytes must be positive");
  if (o.max_senders == 0) return usage_error("--max-senders 0: at least one sender must be tracked");
  if (o.workers < 1 || o.workers > max_workers) return usage_error(fmt::format("--workers {} (1..{})", o.workers, max_workers));
  o.limits.max_pending_packets = max_pending;
  o.limits.max_pending_bytes = max_pending_bytes;
  if (count_opt->count() > 0) {
    if (count == 0) return usage_error("-c needs a count of at least 1");
    o.count = count;
  }
  if (!duration.empty()) {
    o.duration = taps::apps::parse_seconds(duration);
    if (!o.duration) return usage_error(fmt::format("-t '{}' is not a duration in seconds", duration));
  }
  static const std::pair<const char*, Output> outputs[] = {
      {"raw", Output::raw}, {"lines", Output::lines}, {"hex", Output::hex}, {"none", Output::none}};
  auto out = std::find_if(std::begin(outputs), std::end(outputs), [&](const auto& p) { return output == p.first; });
  if (out == std::end(outputs)) return usage_error(fmt::format("-o '{}' (raw, lines, hex or none)", output));
  o.output = out->second;
  o.verbosity = frame.verbosity();
  return ParseResult(std::move(o), std::move(warnings));
}

}  // namespace ambi_verify
