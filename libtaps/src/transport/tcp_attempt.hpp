// A racing attempt over TCP: open, tie to the candidate's path and local endpoint,
// connect. TCP alone wins with a TcpTransport; tls/tcp goes on with its handshake.
#pragma once

#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "transport/protocol.hpp"

namespace taps::detail {

class TcpAttempt final : public Attempt, public std::enable_shared_from_this<TcpAttempt> {
 public:
  // Called once unless cancelled: the connected socket, or why not.
  using Connected = std::function<void(asio::ip::tcp::socket socket, std::string error)>;

  TcpAttempt(asio::io_context& io, AttemptTarget target);
  void start(Connected connected);
  void cancel() override;

 private:
  void finish(std::string error);

  asio::ip::tcp::socket socket_;
  AttemptTarget target_;
  Connected connected_;
};

// The tcp entry of the registry.
std::shared_ptr<Attempt> connect_tcp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                     AttemptDone done);

}  // namespace taps::detail
