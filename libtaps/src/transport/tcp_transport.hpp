// TCP under a Connection: a reader that fills the bounded receive queue and a writer
// that sends queued messages with gathered writes. The descriptor actions go through
// splice(2) and sendfile(2) (descriptor_transfer.hpp).
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "transport/socket_options.hpp"
#include "taps/properties.hpp"
#include "transport/descriptor_transfer.hpp"
#include "transport/transport.hpp"

namespace taps::detail {

// Closes a TCP socket (also the one under TLS): gracefully, or at once with a reset
// (abort: SO_LINGER 0 makes close() send RST).
void close_tcp_socket(asio::ip::tcp::socket& socket, bool graceful);

class TcpTransport final : public Transport, public std::enable_shared_from_this<TcpTransport> {
 public:
  // Takes over a connected socket (from the racer or an acceptor); `early_data_sent`
  // bytes of the first message are in the kernel already (TCP Fast Open).
  explicit TcpTransport(asio::ip::tcp::socket socket, std::size_t early_data_sent = 0);

  void start_writing() override;
  void resume_reading() override;
  void shutdown(bool graceful) override;
  void apply_properties(const ConnectionProperties& props, bool keep_alive) override;

  bool can_send_from(int fd) const override;
  bool can_receive_into(int fd) const override;
  void receive_into(int fd, std::vector<std::uint8_t> already_received) override;
  std::uint64_t bytes_received_into() const override { return into_ ? into_->bytes() : 0; }
  std::size_t early_data_sent() const override { return early_data_sent_; }

 private:
  void start_reading() override;
  void read();
  void start_receive_into(const std::shared_ptr<TransportSink>& sink, std::vector<std::uint8_t> already_read);
  void send_from_descriptor(const std::shared_ptr<TransportSink>& sink);
  void written(const std::shared_ptr<TransportSink>& sink, std::error_code ec, bool final);
  void after_sent(TransportSink& sink, bool final);

  asio::ip::tcp::socket socket_;
  // Not zero-filled: only the pages a read fills are ever touched (a connection that
  // carries one byte faults in one page, not 64).
  std::unique_ptr<std::uint8_t[]> read_buffer_;
  std::vector<Outgoing> in_flight_;
  std::optional<Outgoing> from_descriptor_;  // a send_from item: after in_flight_, alone
  std::shared_ptr<DescriptorToSocket> sending_;
  int into_fd_ = -1;                          // receive_into, once the read in progress ends
  std::vector<std::uint8_t> into_already_;
  std::shared_ptr<SocketToPipe> into_;
  bool reading_ = false;
  bool writing_ = false;
  bool eof_ = false;
  SocketOptions options_;
  std::size_t early_data_sent_;
};

}  // namespace taps::detail
