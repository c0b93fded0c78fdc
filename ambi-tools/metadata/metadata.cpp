#include "metadata/metadata.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "ambi/pseudoheader.hpp"

namespace ambi_metadata {
namespace {

using Json = nlohmann::ordered_json;

// Thrown only inside this file so that each check is one line; parse_metadata turns
// it into a MetadataError.
struct Invalid {
  MetadataError error;
};

// Never throws: a string that is not UTF-8 (from a command line) is written with U+FFFD.
std::string dump(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

[[noreturn]] void fail(const std::string& path, std::string what) { throw Invalid{{path, std::move(what)}}; }

std::string member_path(const std::string& path, std::string_view key) {
  bool plain = key.find_first_of(":-") == std::string_view::npos;
  return plain ? path + "." + std::string(key) : path + "[" + dump(Json(key)) + "]";
}

std::string element_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Members of `module` ("ietf-dorms"): unprefixed names or "module:name". Anything else
// unprefixed is a mistake; other modules' members are augmentations we do not know.
void check_members(const Json& object, const std::string& path, std::initializer_list<std::string_view> known) {
  if (!object.is_object()) fail(path, "expected an object");
  for (const auto& [key, value] : object.items()) {
    bool ours = false;
    for (auto k : known) ours = ours || key == k;
    if (!ours && key.find(':') == std::string::npos) fail(member_path(path, key), "unknown member");
  }
}

const Json* member(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const Json& required(const Json& object, const std::string& path, std::string_view key) {
  const Json* value = member(object, key);
  if (!value) fail(path, "missing member \"" + std::string(key) + "\"");
  return *value;
}

const Json& list(const Json& object, const std::string& path, std::string_view key) {
  const Json& value = required(object, path, key);
  if (!value.is_array() || value.empty()) fail(member_path(path, key), "expected a non-empty list");
  return value;
}

std::uint64_t unsigned_value(const Json& value, const std::string& path, std::uint64_t min, std::uint64_t max) {
  if (!value.is_number_unsigned()) fail(path, "expected an unsigned integer, got " + dump(value));
  auto n = value.get<std::uint64_t>();
  if (n < min || n > max) fail(path, std::to_string(n) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  return n;
}

std::string string_value(const Json& value, const std::string& path) {
  if (!value.is_string()) fail(path, "expected a string, got " + dump(value));
  return value.get<std::string>();
}

bool is_multicast(const ambi::IpAddress& a) { return a.v6 ? a.bytes[0] == 0xff : (a.bytes[0] & 0xf0) == 0xe0; }

ambi::IpAddress address_value(const Json& value, const std::string& path) {
  auto text = string_value(value, path);
  auto address = ambi::IpAddress::parse(text);
  if (!address) fail(path, "'" + text + "' is not an IPv4 or IPv6 address");
  return *address;
}

std::chrono::milliseconds hold_time(const Json& object, const std::string& path, std::string_view key,
                                    std::chrono::milliseconds fallback) {
  const Json* value = member(object, key);
  if (!value) return fallback;
  return std::chrono::milliseconds(unsigned_value(*value, member_path(path, key), 0, 0xffffffff));
}

// "scheme://..." with a scheme other than ambi+tls (any case).
bool other_scheme(std::string_view text) {
  auto end = text.find("://");
  if (end == std::string_view::npos || end == 0) return false;
  std::string scheme(text.substr(0, end));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme != "ambi+tls" && scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.") == std::string::npos;
}

void parse_manifest_stream(const Json& ms, const std::string& path, StreamMetadata base,
                           std::vector<StreamMetadata>& out) {
  check_members(ms, path, {"id", "manifest-stream", "hash-algorithm", "data-hold-time", "digest-hold-time", "expiration"});
  base.stream_id = static_cast<std::uint32_t>(unsigned_value(required(ms, path, "id"), member_path(path, "id"), 0, 0xffffffff));
  const auto uris_path = member_path(path, "manifest-stream");
  const Json& uris = list(ms, path, "manifest-stream");
  for (std::size_t i = 0; i < uris.size(); ++i) {
    auto p = element_path(uris_path, i);
    check_members(uris[i], p, {"uri"});
    auto text = string_value(required(uris[i], p, "uri"), member_path(p, "uri"));
    if (other_scheme(text)) {
      base.other_uris.push_back(text);
      continue;
    }
    auto uri = parse_manifest_uri(text);
    if (!uri) fail(member_path(p, "uri"), "'" + text + "' is not ambi+tls://HOST:PORT");
    base.manifest_uris.push_back(*uri);
  }
  if (const Json* expiration = member(ms, "expiration")) {
    base.expiration = string_value(*expiration, member_path(path, "expiration"));
  }
  auto hash_path = member_path(path, "hash-algorithm");
  auto hash = string_value(required(ms, path, "hash-algorithm"), hash_path);
  // An identityref may carry its module's prefix (RFC 7951 section 6.8).
  std::string_view name = hash;
  for (std::string_view prefix : {"ietf-ambi:", "iana-hash-algs:"}) {
    if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  }
  if (ambi::parse_hash_algorithm(name, base.hash)) fail(hash_path, "unknown hash algorithm '" + hash + "' (sha-256, sha-384 or sha-512)");
  base.data_hold_time = hold_time(ms, path, "data-hold-time", default_data_hold_time);
  base.digest_hold_time = hold_time(ms, path, "digest-hold-time", default_digest_hold_time);
  out.push_back(std::move(base));
}

void parse_document(const Json& doc, std::vector<StreamMetadata>& out) {
  const std::string root = "$";
  check_members(doc, root, {});
  auto dorms_path = member_path(root, "ietf-dorms:dorms");
  const Json& dorms = required(doc, root, "ietf-dorms:dorms");
  check_members(dorms, dorms_path, {"metadata"});
  auto metadata_path = member_path(dorms_path, "metadata");
  const Json& metadata = required(dorms, dorms_path, "metadata");
  check_members(metadata, metadata_path, {"sender"});
  auto senders_path = member_path(metadata_path, "sender");
  const Json& senders = list(metadata, metadata_path, "sender");
  for (std::size_t s = 0; s < senders.size(); ++s) {
    auto sp = element_path(senders_path, s);
    check_members(senders[s], sp, {"address", "group"});
    auto source = address_value(required(senders[s], sp, "address"), member_path(sp, "address"));
    if (is_multicast(source)) fail(member_path(sp, "address"), "a sender address cannot be a multicast group");
    auto groups_path = member_path(sp, "group");
    const Json& groups = list(senders[s], sp, "group");
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto gp = element_path(groups_path, g);
      check_members(groups[g], gp, {"address", "udp-stream"});
      auto group = address_value(required(groups[g], gp, "address"), member_path(gp, "address"));
      if (!is_multicast(group)) fail(member_path(gp, "address"), "not a multicast group address");
      if (group.v6 != source.v6) fail(member_path(gp, "address"), "the group and the sender address are of different families");
      auto streams_path = member_path(gp, "udp-stream");
      const Json& streams = list(groups[g], gp, "udp-stream");
      for (std::size_t u = 0; u < streams.size(); ++u) {
        auto up = element_path(streams_path, u);
        check_members(streams[u], up, {"port"});
        StreamMetadata base;
        base.source = senders[s]["address"].get<std::string>();
        base.group = groups[g]["address"].get<std::string>();
        base.port = static_cast<std::uint16_t>(unsigned_value(required(streams[u], up, "port"), member_path(up, "port"), 1, 65535));
        const Json* ambi = member(streams[u], "ietf-ambi:ambi");
        if (!ambi) continue;  // a stream without AMBI: nothing to verify it with
        auto ap = member_path(up, "ietf-ambi:ambi");
        check_members(*ambi, ap, {"manifest-stream"});
        auto msp = member_path(ap, "manifest-stream");
        const Json& mss = list(*ambi, ap, "manifest-stream");
        for (std::size_t m = 0; m < mss.size(); ++m) parse_manifest_stream(mss[m], element_path(msp, m), base, out);
      }
    }
  }
  if (out.empty()) fail(root, "no udp-stream has an \"ietf-ambi:ambi\" manifest stream");
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2:
// why": drop the bracketed id.
std::string without_id(const nlohmann::json::exception& e) {
  std::string what = e.what();
  auto at = what.find("] ");
  return at == std::string::npos ? what : what.substr(at + 2);
}

// Follows the parser through the document, so that an error the parser throws (it
// knows no path) names the value it was reading.
class ParsePosition {
 public:
  Json::parser_callback_t callback() {
    return [this](int, nlohmann::json::parse_event_t event, Json& parsed) {
      using Event = nlohmann::json::parse_event_t;
      switch (event) {
        case Event::object_start: frames_.push_back({false, 0, {}}); break;
        case Event::array_start: frames_.push_back({true, 0, {}}); break;
        case Event::key: frames_.back().key = parsed.get<std::string>(); break;
        case Event::object_end:
        case Event::array_end:
          frames_.pop_back();
          value_done();
          break;
        case Event::value: value_done(); break;
      }
      return true;
    };
  }

  std::string path() const {
    std::string path = "$";
    for (const auto& f : frames_) path = f.array ? element_path(path, f.index) : member_path(path, f.key);
    return path;
  }

 private:
  struct Frame {
    bool array;
    std::size_t index;
    std::string key;
  };
  void value_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  std::vector<Frame> frames_;
};

}  // namespace

std::string ManifestUri::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return "ambi+tls://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ManifestUri> parse_manifest_uri(std::string_view text) {
  constexpr std::string_view scheme = "ambi+tls://";
  if (text.size() < scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != scheme[i]) return std::nullopt;
  }
  text.remove_prefix(scheme.size());
  if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  ManifestUri uri;
  std::string_view port;
  if (text.starts_with("[")) {
    auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    uri.host = std::string(text.substr(1, close - 1));
    if (uri.host.find(':') == std::string::npos) return std::nullopt;
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    uri.host = std::string(text.substr(0, colon));
    if (uri.host.find_first_of(":/@?#[]") != std::string::npos) return std::nullopt;
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (uri.host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  uri.port = static_cast<std::uint16_t>(value);
  return uri;
}

ParsedMetadata parse_metadata(std::string_view json) {
  Json doc;
  ParsePosition position;
  try {
    doc = Json::parse(json, position.callback());
  } catch (const nlohmann::json::parse_error& e) {
    return MetadataError{{}, "not JSON: " + without_id(e)};
  } catch (const nlohmann::json::exception& e) {
    // A number that overflows a double ("1E444") has no byte position: name its path.
    return MetadataError{position.path(), without_id(e)};
  }
  std::vector<StreamMetadata> out;
  try {
    parse_document(doc, out);
  } catch (const Invalid& invalid) {
    return invalid.error;
  }
  return out;
}

ParsedMetadata read_metadata_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MetadataError{{}, "cannot read metadata file '" + path + "'"};
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_metadata(text.str());
  if (auto* error = std::get_if<MetadataError>(&parsed)) error->path = error->path.empty() ? path : path + ": " + error->path;
  return parsed;
}

std::string to_json(const std::vector<StreamMetadata>& streams) {
  Json senders = Json::array();
  // Index of each sender, group and udp-stream entry already written.
  std::map<std::string, std::size_t> sender_at;
  std::map<std::tuple<std::string, std::string>, std::size_t> group_at;
  std::map<std::tuple<std::string, std::string, std::uint16_t>, std::size_t> port_at;
  for (const auto& s : streams) {
    auto [si, new_sender] = sender_at.try_emplace(s.source, senders.size());
    if (new_sender) senders.push_back({{"address", s.source}, {"group", Json::array()}});
    Json& groups = senders[si->second]["group"];
    auto [gi, new_group] = group_at.try_emplace({s.source, s.group}, groups.size());
    if (new_group) groups.push_back({{"address", s.group}, {"udp-stream", Json::array()}});
    Json& udp = groups[gi->second]["udp-stream"];
    auto [pi, new_port] = port_at.try_emplace({s.source, s.group, s.port}, udp.size());
    if (new_port) udp.push_back({{"port", s.port}, {"ietf-ambi:ambi", {{"manifest-stream", Json::array()}}}});
    Json uris = Json::array();
    for (const auto& uri : s.manifest_uris) uris.push_back({{"uri", uri.to_string()}});
    for (const auto& uri : s.other_uris) uris.push_back({{"uri", uri}});
    Json entry = {{"id", s.stream_id},
                  {"manifest-stream", std::move(uris)},
                  {"hash-algorithm", std::string(ambi::hash_algorithm_name(s.hash))},
                  {"data-hold-time", s.data_hold_time.count()},
                  {"digest-hold-time", s.digest_hold_time.count()}};
    if (s.expiration) entry["expiration"] = *s.expiration;
    udp[pi->second]["ietf-ambi:ambi"]["manifest-stream"].push_back(std::move(entry));
  }
  Json doc = {{"ietf-dorms:dorms", {{"metadata", {{"sender", std::move(senders)}}}}}};
  return dump(doc, 2) + "\n";
}

}  // namespace ambi_metadata
