// --witness: joins (S,G) and publishes the digest of each datagram that arrives from S
// (from S:--source-port only, when given), in arrival order, for a stream that another
// program sends. It authenticates whatever reaches it with S's address: anyone who can
// forge S on the witness's network gets digests for forged packets. Run it where only
// the real sender can reach it with that address.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ambi-manifest-send/options.hpp"
#include "ambi-manifest-send/publisher.hpp"
#include "taps/context.hpp"
#include "taps/listener.hpp"
#include "verifier/packet_endpoints.hpp"

namespace ambi_manifest_send {

class Witness {
 public:
  struct Handlers {
    Publisher::Publish publish;
    std::function<void(const taps::MulticastJoin&)> joined;
    std::function<void(int exit_code, const taps::Error&)> failed;
  };

  Witness(taps::Context& ctx, const Options& o, Handlers handlers);
  void start();
  void stop();
  std::uint64_t packets() const { return packets_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct Sender {
    taps::Connection connection;
    ambi_verifier::EndpointCache endpoints;
  };
  taps::ConnectionHandlers on_sender(taps::Connection c);
  void on_datagram(Sender& s, const taps::Message& m, const taps::MessageContext& ctx);

  taps::Context& ctx_;
  const Options& o_;
  Handlers handlers_;
  ambi::PacketHasher hasher_;
  Publisher publisher_;
  taps::Listener listener_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::uint64_t packets_ = 0, bytes_ = 0;
};

}  // namespace ambi_manifest_send
