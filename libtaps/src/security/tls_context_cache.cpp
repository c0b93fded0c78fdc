#include "security/tls_context_cache.hpp"

#include <algorithm>

namespace taps::detail {
namespace {

// A program that makes ever-new parameters must not grow without bound.
constexpr std::size_t max_entries = 16;

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContextCache::client_context(const SecurityParameters& params) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == params; });
  if (it != entries_.end()) return it->second;
  auto made = TlsContext::make(params, TlsContext::Role::client);
  if (!made) return made.error();
  if (entries_.size() == max_entries) entries_.erase(entries_.begin());
  entries_.emplace_back(params, *made);
  return *made;
}

}  // namespace taps::detail
