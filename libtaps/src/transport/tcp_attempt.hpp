// A racing attempt over TCP: open, tie to the candidate's path and local endpoint,
// connect. TCP alone wins with a TcpTransport; tls/tcp goes on with its handshake.
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport/protocol.hpp"

namespace taps::detail {

class TcpAttempt final : public Attempt, public std::enable_shared_from_this<TcpAttempt> {
 public:
  // Called once unless cancelled: the connected socket, or why not; `early_data_sent`
  // bytes of the early data are in the kernel already.
  using Connected = std::function<void(asio::ip::tcp::socket socket, std::string error, std::size_t early_data_sent)>;

  // With `early_data`, the connection is opened with TCP Fast Open: the data rides in
  // the SYN when the kernel holds a cookie of the server (else the SYN asks for one).
  TcpAttempt(asio::io_context& io, AttemptTarget target,
             std::shared_ptr<const std::vector<std::uint8_t>> early_data = nullptr);
  void start(Connected connected);
  void cancel() override;

 private:
  void connected();
  void finish(std::string error);

  asio::ip::tcp::socket socket_;
  AttemptTarget target_;
  std::shared_ptr<const std::vector<std::uint8_t>> early_data_;  // null unless Fast Open is on
  std::size_t early_data_sent_ = 0;
  Connected connected_;
};

// The tcp entry of the registry.
std::shared_ptr<Attempt> connect_tcp(asio::io_context& io, const AttemptTarget& target, const AttemptOptions& options,
                                     AttemptDone done);

}  // namespace taps::detail
