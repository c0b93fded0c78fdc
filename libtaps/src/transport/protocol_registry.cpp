// The registry of protocol stacks (protocol.hpp): one entry per stack.
#include "transport/protocol.hpp"
#include "quic/quic_attempt.hpp"
#include "quic/quic_server.hpp"
#include "transport/tcp_attempt.hpp"
#include "transport/tcp_rendezvous.hpp"
#include "transport/tls_attempt.hpp"
#include "transport/udp_attempt.hpp"

namespace taps::detail {
namespace {

constexpr std::string_view tcp_offers[]{"reliability", "preserveOrder", "fullChecksumSend", "fullChecksumRecv",
                                         "congestionControl", "keepAlive"};
constexpr std::string_view udp_offers[]{"preserveMsgBoundaries", "zeroRttMsg", "fullChecksumSend", "fullChecksumRecv"};
// zeroRttMsg is not offered until QUIC's 0-RTT is built (DESIGN.md section 10).
constexpr std::string_view quic_offers[]{"reliability",      "preserveOrder",     "multistreaming", "fullChecksumSend",
                                         "fullChecksumRecv", "congestionControl", "keepAlive"};

constexpr Protocol tcp{Stack::tcp, "tcp", true, false, tcp_offers, {}, std::nullopt, &connect_tcp, &rendezvous_tcp, nullptr};
// UDP has no handshake: a rendezvous is a connect from the local port.
constexpr Protocol udp{Stack::udp, "udp", false, false, udp_offers, {}, std::nullopt, &connect_udp, &connect_udp, nullptr};
constexpr Protocol tls{Stack::tls, "tls/tcp", true, true, tcp_offers, {}, Stack::tcp, &connect_tls, nullptr, nullptr};
// multistreaming=prefer is the RFC's default: were QUIC selected by default, every
// existing TLS Preconnection would start sending UDP without asking.
constexpr Protocol quic{Stack::quic, "quic", true, true, quic_offers, "multistreaming", std::nullopt, &connect_quic, nullptr,
                        &serve_quic};

constexpr const Protocol* registry[]{&tcp, &udp, &tls, &quic};

}  // namespace

std::span<const Protocol* const> all_protocols() { return registry; }

const Protocol& protocol_for(Stack stack) {
  for (const auto* p : registry) {
    if (p->stack == stack) return *p;
  }
  return tcp;  // not reached: every Stack has an entry
}

}  // namespace taps::detail
