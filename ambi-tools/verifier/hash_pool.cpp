#include "verifier/hash_pool.hpp"

#include <optional>

namespace ambi_verifier {

HashPool::HashPool(std::size_t threads, std::function<void()> ready) : ready_(std::move(ready)) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

HashPool::~HashPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void HashPool::submit(std::unique_ptr<HashBatch> batch) {
  {
    std::lock_guard lock(mutex_);
    batch->number = submitted_++;
    queue_.push_back(std::move(batch));
  }
  wake_.notify_one();
}

void HashPool::submit_hashed(std::unique_ptr<HashBatch> batch) {
  std::lock_guard lock(mutex_);
  batch->number = submitted_++;
  done_.emplace(batch->number, std::move(batch));
}

std::vector<std::unique_ptr<HashBatch>> HashPool::take_ready() {
  std::vector<std::unique_ptr<HashBatch>> ready;
  std::lock_guard lock(mutex_);
  for (auto it = done_.begin(); it != done_.end() && it->first == taken_; it = done_.erase(it)) {
    ready.push_back(std::move(it->second));
    ++taken_;
  }
  return ready;
}

void HashPool::work() {
  // One hasher per thread (a PacketHasher is not thread-safe), made again only when a
  // batch asks for another algorithm (a refresh switched streams).
  std::optional<ambi::PacketHasher> hasher;
  for (;;) {
    std::unique_ptr<HashBatch> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      if (!hasher || hasher->algorithm() != batch->algorithm) hasher.emplace(batch->algorithm);
      for (auto& item : batch->items) {
        item.failed = static_cast<bool>(hasher->digest(item.endpoints, batch->stream_id, item.payload, item.digest));
      }
    } catch (const std::system_error&) {
      // OpenSSL without the algorithm: nothing in this batch can be verified.
      hasher.reset();
      for (auto& item : batch->items) item.failed = true;
    }
    {
      std::lock_guard lock(mutex_);
      done_.emplace(batch->number, std::move(batch));
    }
    ready_();
  }
}

}  // namespace ambi_verifier
