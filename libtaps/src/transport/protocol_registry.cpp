// The registry of protocol stacks (protocol.hpp): one entry per stack.
#include "transport/protocol.hpp"
#include "quic/quic_attempt.hpp"
#include "transport/tcp_attempt.hpp"
#include "transport/tcp_rendezvous.hpp"
#include "transport/tls_attempt.hpp"
#include "transport/udp_attempt.hpp"

namespace taps::detail {
namespace {

constexpr Protocol tcp{"tcp", true, false, &connect_tcp, &rendezvous_tcp};
// UDP has no handshake: a rendezvous is a connect from the local port.
constexpr Protocol udp{"udp", false, false, &connect_udp, &connect_udp};
constexpr Protocol tls{"tls/tcp", true, true, &connect_tls, nullptr};
constexpr Protocol quic{"quic", true, true, &connect_quic, nullptr};

}  // namespace

const Protocol& protocol_for(Stack stack) {
  switch (stack) {
    case Stack::tcp: return tcp;
    case Stack::udp: return udp;
    case Stack::tls: return tls;
    case Stack::quic: return quic;
  }
  return tcp;  // not reached: the switch covers every Stack
}

}  // namespace taps::detail
