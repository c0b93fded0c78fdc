#include "transport/udp_attempt.hpp"

#include <asio/ip/udp.hpp>
#include <asio/post.hpp>

#include "transport/interface_binding.hpp"
#include "transport/udp_transport.hpp"

namespace taps::detail {
namespace {

// The connect happened in connect_udp; its outcome is posted, so that it never
// arrives inside the call. Cancelling drops it.
class UdpAttempt final : public Attempt {
 public:
  explicit UdpAttempt(AttemptDone done) : done_(std::move(done)) {}
  void cancel() override { done_ = nullptr; }
  void finish(std::shared_ptr<Transport> transport, std::string error) {
    if (auto done = std::move(done_)) done(std::move(transport), std::move(error));
  }

 private:
  AttemptDone done_;
};

}  // namespace

std::shared_ptr<Attempt> connect_udp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions&,
                                     AttemptDone done) {
  asio::ip::udp::endpoint remote(target.address, target.port);
  asio::ip::udp::socket socket(io);
  std::error_code ec;
  socket.open(remote.protocol(), ec);
  if (!ec && !target.interface_name.empty()) {
    ec = bind_to_interface(socket.native_handle(), remote.protocol().family(), target.interface_name);
  }
  if (!ec && target.local_address) socket.bind({*target.local_address, target.local_port}, ec);
  if (!ec) socket.connect(remote, ec);
  std::shared_ptr<Transport> transport;
  if (!ec) transport = std::make_shared<UdpTransport>(std::move(socket));
  auto attempt = std::make_shared<UdpAttempt>(std::move(done));
  asio::post(io, [attempt, transport, why = ec ? ec.message() : std::string()] { attempt->finish(transport, why); });
  return attempt;
}

}  // namespace taps::detail
