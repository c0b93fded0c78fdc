// The AMBI test vector of testdata/ambi/ (see its README.md), read from the files so
// that other implementations can check against the same bytes. TAPS_TESTDATA_DIR is
// the repository's testdata/ folder (a compile definition).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ambi/digest.hpp"

namespace ambi_test {

inline std::string testdata_path(const std::string& name) { return std::string(TAPS_TESTDATA_DIR) + "/ambi/" + name; }

inline std::vector<std::uint8_t> read_bytes(const std::string& name) {
  std::ifstream in(testdata_path(name), std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read " << testdata_path(name));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline const nlohmann::json& vector_json() {
  static const nlohmann::json v = [] {
    std::ifstream in(testdata_path("vector.json"));
    REQUIRE_MESSAGE(in, "cannot read " << testdata_path("vector.json"));
    return nlohmann::json::parse(in);
  }();
  return v;
}

// One packet of the vector: its endpoints, stream and what its pseudoheader and digests are.
struct VectorPacket {
  ambi::PacketEndpoints endpoints;
  std::uint32_t stream_id = 0;
  std::string pseudoheader_hex;
  nlohmann::json digests;  // {"sha-256": hex, ...}
};

inline VectorPacket vector_packet(const std::string& name) {
  for (const auto& p : vector_json().at("packets")) {
    if (p.at("name") != name) continue;
    auto source = ambi::IpAddress::parse(p.at("source").get<std::string>());
    auto destination = ambi::IpAddress::parse(p.at("destination").get<std::string>());
    REQUIRE((source && destination));
    return {{*source, p.at("source_port").get<std::uint16_t>(), *destination, p.at("destination_port").get<std::uint16_t>()},
            p.at("stream_id").get<std::uint32_t>(),
            p.at("pseudoheader").get<std::string>(),
            p.at("digests")};
  }
  FAIL("no packet '" << name << "' in vector.json");
  return {};
}

inline std::vector<std::uint8_t> vector_payload() { return read_bytes(vector_json().at("payload_file").get<std::string>()); }

}  // namespace ambi_test
