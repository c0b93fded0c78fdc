// The verifier's hash pool under ThreadSanitizer (tests/tsan/run.sh builds it with
// -fsanitize=thread): batches come back in submission order whichever worker finishes
// first, each digest is the one the Context's thread would have made, and the ready
// callback races with nothing.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "verifier/hash_pool.hpp"

using namespace ambi_verifier;

namespace {

ambi::PacketEndpoints endpoints() {
  ambi::PacketEndpoints e;
  e.source = *ambi::IpAddress::parse("10.0.0.1");
  e.source_port = 40000;
  e.destination = *ambi::IpAddress::parse("232.1.1.1");
  e.destination_port = 5001;
  return e;
}

// A batch of `n` packets of random sizes (0 to 1500 bytes), numbered in their first bytes.
std::unique_ptr<HashBatch> make_batch(std::size_t first, std::size_t n, std::mt19937& rng) {
  auto batch = std::make_unique<HashBatch>();
  batch->stream_id = 7;
  for (std::size_t i = 0; i < n; ++i) {
    HashItem item;
    item.endpoints = endpoints();
    item.payload.resize(std::max<std::size_t>(8, rng() % 1500));
    for (std::size_t j = 0; j < 8; ++j) item.payload[j] = static_cast<std::uint8_t>((first + i) >> (8 * j));
    item.owner = first + i;
    batch->items.push_back(std::move(item));
  }
  return batch;
}

}  // namespace

TEST_CASE("hash pool: order, digests and wake-ups with 1, 2 and 3 threads") {
  for (std::size_t threads : {1, 2, 3}) {
    std::mutex m;
    std::condition_variable cv;
    std::size_t calls = 0;
    HashPool pool(threads, [&] {
      std::lock_guard lock(m);
      ++calls;
      cv.notify_one();
    });
    std::mt19937 rng(static_cast<unsigned>(threads));
    std::size_t submitted = 0, next_owner = 0;
    const std::size_t batches = 300;
    for (std::size_t b = 0; b < batches; ++b) {
      auto n = 1 + rng() % 64;
      pool.submit(make_batch(submitted, n, rng));
      submitted += n;
    }
    ambi::PacketHasher reference(ambi::HashAlgorithm::sha256);
    std::size_t taken = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (taken < batches && std::chrono::steady_clock::now() < deadline) {
      {
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return calls > 0; });
        calls = 0;
      }
      for (auto& batch : pool.take_ready()) {
        ++taken;
        for (auto& item : batch->items) {
          REQUIRE(item.owner == next_owner);
          ++next_owner;
          ambi::Digest expected;
          REQUIRE_FALSE(reference.digest(item.endpoints, 7, item.payload, expected));
          REQUIRE_FALSE(item.failed);
          REQUIRE(item.digest == expected);
        }
      }
    }
    CHECK(taken == batches);
    CHECK(next_owner == submitted);
  }
}

TEST_CASE("hash pool: destroyed with batches still queued, without a wait or a race") {
  std::atomic<int> calls{0};
  {
    HashPool pool(2, [&] { ++calls; });
    std::mt19937 rng(5);
    for (int b = 0; b < 50; ++b) pool.submit(make_batch(0, 64, rng));
  }
  CHECK(calls.load() <= 50);
}

TEST_CASE("hash pool: a batch the caller hashed itself comes back in its turn") {
  std::atomic<int> calls{0};
  HashPool pool(1, [&] { ++calls; });
  std::mt19937 rng(9);
  for (int b = 0; b < 3; ++b) pool.submit(make_batch(static_cast<std::size_t>(b) * 64, 64, rng));
  pool.submit_hashed(make_batch(3 * 64, 64, rng));
  pool.submit(make_batch(4 * 64, 64, rng));
  std::size_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (next < 5 * 64 && std::chrono::steady_clock::now() < deadline) {
    for (auto& batch : pool.take_ready()) {
      for (auto& item : batch->items) REQUIRE(item.owner == next++);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(next == 5 * 64);
}
