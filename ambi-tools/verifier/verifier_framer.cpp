#include "verifier/verifier_framer.hpp"

#include <limits>

#include "verifier/packet_endpoints.hpp"

namespace ambi_verifier {
namespace {

class VerifierFramer final : public taps::Framer {
 public:
  explicit VerifierFramer(std::shared_ptr<VerifierSession> session) : session_(std::move(session)) {}
  ~VerifierFramer() override {
    if (owner_) session_->detach(owner_);
  }

  std::string_view name() const override { return "ambi"; }

  void start(taps::FramerContext& ctx) override {
    owner_ = session_->attach(ctx.later());
    if (auto error = session_->start()) {
      ctx.fail(*error);
      return;
    }
    ctx.make_ready();
  }

  void on_new_sent_message(taps::FramerContext& ctx, taps::Message, const taps::MessageContext&) override {
    ctx.fail(taps::make_error(taps::errc::receive_only, "ambi: the verifier framer only receives"));
  }

  void on_received_data(taps::FramerContext& ctx) override {
    if (!ctx.datagram()) {
      ctx.fail(taps::make_error(taps::errc::framing_error, "ambi: the verifier framer needs a datagram transport"));
      return;
    }
    auto payload = ctx.parse(0, std::numeric_limits<std::size_t>::max());
    const auto& received = ctx.received_context();
    const auto* endpoints = endpoints_.get(received.remote_endpoint, received.local_endpoint);
    if (!endpoints) {
      ctx.fail(taps::make_error(taps::errc::framing_error, "ambi: a datagram without source and destination ('" +
                                                               received.remote_endpoint + "' -> '" +
                                                               received.local_endpoint + "')"));
      return;
    }
    if (session_->on_packet(owner_, *endpoints, payload, received)) {
      session_->flush(owner_, ctx);
      // Its arrival time rides along (draft section 3.2 users measure latency with it);
      // the Connection adds the endpoints.
      taps::MessageContext delivered;
      delivered.received_at_ns = received.received_at_ns;
      ctx.deliver_and_advance(payload.size(), std::move(delivered), true);
    }
  }

 private:
  std::shared_ptr<VerifierSession> session_;
  std::uint64_t owner_ = 0;
  EndpointCache endpoints_;
};

}  // namespace

taps::FramerSpec ambi_verifier_framer(std::shared_ptr<VerifierSession> session) {
  return {"ambi", [session] { return std::make_unique<VerifierFramer>(session); }};
}

}  // namespace ambi_verifier
