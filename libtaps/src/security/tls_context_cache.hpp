// The client TLS contexts of one taps::Context, kept as an Asio service of its
// io_context: Initiate on the same Preconnection (or an equal one) reuses the context,
// its trust store and its session tickets instead of building them per connection.
#pragma once

#include <asio/execution_context.hpp>
#include <memory>
#include <utility>
#include <vector>

#include "security/tls_context.hpp"

namespace taps::detail {

class TlsContextCache : public asio::execution_context::service {
 public:
  using key_type = TlsContextCache;
  static inline asio::execution_context::id id;

  explicit TlsContextCache(asio::execution_context& owner) : asio::execution_context::service(owner) {}

  // The client context for `params`, built on first use.
  Result<std::shared_ptr<TlsContext>> client_context(const SecurityParameters& params);

 private:
  void shutdown() override { entries_.clear(); }

  // Few entries (one per distinct SecurityParameters): a list searched in order,
  // most recently built last.
  std::vector<std::pair<SecurityParameters, std::shared_ptr<TlsContext>>> entries_;
};

}  // namespace taps::detail
