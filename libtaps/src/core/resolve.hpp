// Resolve (RFC 9622 section 7.1): the candidates Initiate would race, listed instead of
// raced. The remote endpoints are resolved as the racer resolves them (all answers
// awaited), the candidate tree is the racer's (race_leaves), and each path's local
// address is the one the kernel's routes choose.
#pragma once

#include <asio/io_context.hpp>
#include <optional>

#include "core/racer.hpp"
#include "taps/preconnection.hpp"

namespace taps::detail {

// `local`: the Preconnection's local endpoint, if any. The handler is posted.
void resolve_endpoints(asio::io_context& io, RaceSpec spec, std::optional<LocalEndpoint> local, ResolveHandler handler);

}  // namespace taps::detail
