// Rendezvous over TCP (RFC 9622 section 7.3): listen on the local endpoint and, from
// the same port, connect to the peer, again and again until one of the two gives a
// connection. Both peers do the same, so whichever SYN arrives first meets either the
// peer's listener (an accept on one side, a connect on the other: the same 4-tuple) or
// the peer's own SYN (simultaneous open). Retrying the connect alone does not work:
// a SYN to a port with no socket is answered with RST, and two retry loops almost
// never have a SYN in flight at the same time.
#pragma once

#include <memory>

#include "transport/protocol.hpp"

namespace taps::detail {

// The tcp entry's rendezvous: `target.local_address` and `local_port` are required.
// Fails only when the local endpoint cannot be bound or listened on; a refused
// connect is retried every 100 ms until cancelled (the racer's timeout bounds it).
std::shared_ptr<Attempt> rendezvous_tcp(asio::io_context& io, const AttemptTarget& target,
                                        const AttemptOptions& options, AttemptDone done);

}  // namespace taps::detail
