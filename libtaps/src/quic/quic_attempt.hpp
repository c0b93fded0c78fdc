// A racing attempt of quic: a UDP socket tied to the candidate's path and local endpoint,
// the QUIC handshake, then the group's first bidirectional stream, which is what wins
// (RFC 9623 section 4.3: a handshake done, not a socket opened).
#pragma once

#include <memory>

#include "transport/protocol.hpp"

namespace taps::detail {

// The quic entry of the registry. Needs AttemptOptions::quic.
std::shared_ptr<Attempt> connect_quic(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                      AttemptDone done);

}  // namespace taps::detail
