// A racing attempt of tls/tcp: the TCP connect and then the TLS handshake (RFC 9623
// section 4.3): a TCP connection alone wins nothing.
#pragma once

#include <memory>

#include "transport/protocol.hpp"

namespace taps::detail {

// The tls/tcp entry of the registry.
std::shared_ptr<Attempt> connect_tls(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                     AttemptDone done);

}  // namespace taps::detail
