// Hashes received packets on worker threads for the verifier session (ambi-verify
// --workers N): the session hands over batches of datagrams and takes them back, with
// their digests, in the order it handed them over. The digest store, the once-only rule
// and delivery stay on the Context's thread; a worker touches only the batch it holds.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ambi/digest.hpp"

namespace ambi_verifier {

struct HashItem {
  ambi::PacketEndpoints endpoints;
  std::vector<std::uint8_t> payload;
  // The session's: whose packet it is, for delivery and events.
  std::uint64_t owner = 0;
  std::string sender;
  std::int64_t received_at_ns = 0;
  // The worker's: the digest, or failed (no digest could be made).
  ambi::Digest digest;
  bool failed = false;
};

struct HashBatch {
  ambi::HashAlgorithm algorithm = ambi::HashAlgorithm::sha256;
  std::uint32_t stream_id = 0;
  std::vector<HashItem> items;
  std::uint64_t number = 0;  // set by submit()
};

class HashPool {
 public:
  // `ready` is called on a worker thread whenever a batch is done: it must be
  // thread-safe and quick (the session posts one take_ready() to its Context).
  HashPool(std::size_t threads, std::function<void()> ready);
  // Stops the workers (batches not yet hashed are discarded) and joins them.
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  void submit(std::unique_ptr<HashBatch> batch);
  // A batch the caller hashed itself (every thread had enough queued): it comes back from
  // take_ready() in its turn, after those submitted before it. No `ready` call for it.
  void submit_hashed(std::unique_ptr<HashBatch> batch);
  // The hashed batches that come next in submission order; none while the next one is
  // still being hashed, even when later ones are done.
  std::vector<std::unique_ptr<HashBatch>> take_ready();

 private:
  void work();

  std::function<void()> ready_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<HashBatch>> queue_;
  std::map<std::uint64_t, std::unique_ptr<HashBatch>> done_;
  std::uint64_t submitted_ = 0, taken_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ambi_verifier
