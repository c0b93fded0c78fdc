// The metadata of an AMBI stream (DESIGN.md 6.4): the RFC 7951 JSON encoding of the
// ietf-dorms model with the ietf-ambi augmentation, as a file that a sender writes
// (ambi-manifest-send --metadata-out) and a verifier reads (ambi-verify --metadata).
//
//   {"ietf-dorms:dorms":{"metadata":{"sender":[{"address":S,"group":[{"address":G,
//     "udp-stream":[{"port":P,"ietf-ambi:ambi":{"manifest-stream":[{"id":N,
//       "manifest-stream":[{"uri":"ambi+tls://HOST:PORT"}],"hash-algorithm":"sha-256",
//       "data-hold-time":MS,"digest-hold-time":MS}]}}]}]}]}}}
//
// Pure: text in, values out. Members of other modules ("prefix:name" with another
// prefix) are skipped, as YANG augmentations; unknown members of these two modules and
// bad values are errors that name their JSON path. Documents from other implementations
// load (DESIGN.md 6.5): `expiration` is kept, URIs of schemes other than ambi+tls
// (https, ambi+dtls) are kept aside (the tool warns and fails only when the stream it
// chose has no ambi+tls URI), hold times take the whole uint32 range, hash names may
// carry the `ietf-ambi:` or `iana-hash-algs:` prefix, URI schemes are case-insensitive.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ambi/digest.hpp"

namespace ambi_metadata {

// "ambi+tls://HOST:PORT" (draft-ietf-mboned-ambi-05 section 4; the scheme in any case);
// HOST may be a name, an IPv4 address or a bracketed IPv6 address. The port is required.
struct ManifestUri {
  std::string host;  // without brackets
  std::uint16_t port = 0;

  std::string to_string() const;
  friend bool operator==(const ManifestUri&, const ManifestUri&) = default;
};
std::optional<ManifestUri> parse_manifest_uri(std::string_view text);

inline constexpr std::chrono::milliseconds default_data_hold_time{2000};
inline constexpr std::chrono::milliseconds default_digest_hold_time{10000};

// One manifest stream of one (S,G,port): what a verifier needs.
struct StreamMetadata {
  std::string source;  // S, an address literal
  std::string group;   // G
  std::uint16_t port = 0;
  std::uint32_t stream_id = 0;
  std::vector<ManifestUri> manifest_uris;  // ambi+tls; may be empty when other_uris is not
  ambi::HashAlgorithm hash = ambi::HashAlgorithm::sha256;
  std::chrono::milliseconds data_hold_time = default_data_hold_time;
  std::chrono::milliseconds digest_hold_time = default_digest_hold_time;
  std::optional<std::string> expiration;  // YANG date-and-time, as written; none: no end
  std::vector<std::string> other_uris;    // manifest URIs of schemes we do not speak

  friend bool operator==(const StreamMetadata&, const StreamMetadata&) = default;
};

// Where and why: `path` like $["ietf-dorms:dorms"].metadata.sender[0].address.
struct MetadataError {
  std::string path;
  std::string what;
  std::string message() const { return path.empty() ? what : path + ": " + what; }
};

using ParsedMetadata = std::variant<std::vector<StreamMetadata>, MetadataError>;

// Every AMBI manifest stream in the document, in document order; an error when the
// JSON is malformed, a value is bad, or the document holds no AMBI stream.
ParsedMetadata parse_metadata(std::string_view json);
// The same, from a file; an unreadable file is an error naming it.
ParsedMetadata read_metadata_file(const std::string& path);

// The document for `streams` (streams of one sender and group share their entries),
// pretty-printed with a final newline.
std::string to_json(const std::vector<StreamMetadata>& streams);

}  // namespace ambi_metadata
