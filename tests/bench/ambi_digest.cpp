// Packet digests per second on one core: PacketHasher::digest over the pseudoheader and
// a payload, then (the verifier's fast path) the lookup that consumes the digest's slot
// in a DigestStore. The figure to set beside `openssl speed -evp sha256 -bytes N`
// with N = payload + 20 (the IPv4 pseudoheader).
//
//   ambi-bench-digest [PAYLOAD_BYTES] [SECONDS] [sha-256|sha-384|sha-512]
//
// Prints one line: hash, payload bytes, hashes/s, and verified packets/s (hash + store),
// per second of this thread's CPU time: `openssl speed` counts CPU time too, so the
// ratio holds on a busy machine.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ambi/digest.hpp"
#include "ambi/digest_store.hpp"

namespace {

using Seconds = std::chrono::duration<double>;

Seconds cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return Seconds(static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9);
}

ambi::PacketEndpoints endpoints() {
  return {*ambi::IpAddress::parse("192.0.2.10"), 40000, *ambi::IpAddress::parse("232.1.1.1"), 5001};
}

double hashes_per_second(ambi::PacketHasher& hasher, std::vector<std::uint8_t>& payload, double seconds) {
  const auto e = endpoints();
  ambi::Digest d;
  std::uint64_t n = 0;
  const auto start = cpu_now();
  Seconds elapsed{};
  while (elapsed.count() < seconds) {
    for (int i = 0; i < 1024; ++i, ++n) {
      payload[0] = static_cast<std::uint8_t>(n);  // a different packet each time
      if (hasher.digest(e, 1, payload, d)) std::abort();
    }
    elapsed = cpu_now() - start;
  }
  return static_cast<double>(n) / elapsed.count();
}

// Digests are published first (originate mode), then each packet is hashed and looked up.
double verified_per_second(ambi::PacketHasher& hasher, std::vector<std::uint8_t>& payload, double seconds) {
  const auto e = endpoints();
  constexpr std::uint32_t batch = 4096;
  ambi::DigestStore store;
  std::vector<ambi::Digest> published(batch);
  ambi::Digest d;
  std::uint64_t n = 0;
  std::uint32_t seq = 0;
  Seconds busy{};
  while (busy.count() < seconds) {
    // Publishing is the manifest side's work, not counted.
    for (std::uint32_t i = 0; i < batch; ++i) {
      payload[0] = static_cast<std::uint8_t>(i);
      payload[1] = static_cast<std::uint8_t>(i >> 8);
      payload[2] = static_cast<std::uint8_t>(seq >> 12);
      payload[3] = static_cast<std::uint8_t>(seq >> 20);
      hasher.digest(e, 1, payload, published[i]);
      store.on_digest(seq + i, published[i], ambi::TimePoint{});
    }
    const auto start = cpu_now();
    for (std::uint32_t i = 0; i < batch; ++i, ++n) {
      payload[0] = static_cast<std::uint8_t>(i);
      payload[1] = static_cast<std::uint8_t>(i >> 8);
      payload[2] = static_cast<std::uint8_t>(seq >> 12);
      payload[3] = static_cast<std::uint8_t>(seq >> 20);
      hasher.digest(e, 1, payload, d);
      if (!std::holds_alternative<ambi::Delivered>(store.on_packet(d, payload, ambi::TimePoint{}))) std::abort();
    }
    busy += cpu_now() - start;
    seq += batch;
  }
  return static_cast<double>(n) / busy.count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t size = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1200;
  const double seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
  ambi::HashAlgorithm algorithm = ambi::HashAlgorithm::sha256;
  if (argc > 3 && ambi::parse_hash_algorithm(argv[3], algorithm)) {
    std::fprintf(stderr, "unknown hash algorithm: %s\n", argv[3]);
    return 2;
  }
  if (size < 4 || size > 65535) {
    std::fprintf(stderr, "payload bytes must be 4..65535: %zu\n", size);
    return 2;
  }
  ambi::PacketHasher hasher(algorithm);
  std::vector<std::uint8_t> payload(size, 0x5a);
  const double hashes = hashes_per_second(hasher, payload, seconds);
  const double verified = verified_per_second(hasher, payload, seconds);
  const std::string name(ambi::hash_algorithm_name(algorithm));
  std::printf("hash=%s payload=%zu hashes/s=%.0f verified/s=%.0f\n", name.c_str(), size, hashes, verified);
}
