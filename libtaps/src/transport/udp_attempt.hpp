// A racing attempt over UDP. UDP has no handshake: connect() only fixes the peer, so
// the first candidate that can be connected wins at once.
#pragma once

#include <memory>

#include "transport/protocol.hpp"

namespace taps::detail {

// The udp entry of the registry.
std::shared_ptr<Attempt> connect_udp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                     AttemptDone done);

}  // namespace taps::detail
