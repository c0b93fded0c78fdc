// The AMBI verifier as a TAPS framer (RFC 9623 section 6) on a multicast Listen: each
// received datagram is hashed with its pseudoheader (source, group, ports, stream
// identifier) and delivered only when a digest from the manifest stream matches it.
// Datagrams that are not authenticated never reach the application.
//
// Receive-only: the framer refuses to send. It is ready at once; its start opens the
// session's manifest channel if nothing has yet.
#pragma once

#include <memory>

#include "taps/framer.hpp"
#include "verifier/verifier_session.hpp"

namespace ambi_verifier {

// The framer spec named "ambi": every instance it makes shares `session`.
taps::FramerSpec ambi_verifier_framer(std::shared_ptr<VerifierSession> session);

}  // namespace ambi_verifier
