// One QUIC stream under a Connection (DESIGN.md section 10: "quic stream"). The stream's
// state lives in its QuicConnection, the group; this is the face core drives: writing
// pulls from the send queue, `final` is the stream's FIN, shutdown(graceful) lets the
// group close once every stream is done, abort resets the stream (RESET_STREAM and
// STOP_SENDING).
#pragma once

#include <cstdint>
#include <memory>

#include "transport/transport.hpp"

namespace taps::detail {

class QuicConnection;

class QuicStreamTransport final : public Transport, public std::enable_shared_from_this<QuicStreamTransport> {
 public:
  QuicStreamTransport(std::shared_ptr<QuicConnection> group, std::int64_t id);

  void start_writing() override;
  void resume_reading() override;
  void shutdown(bool graceful) override;
  std::optional<TlsInfo> tls_info() const override;

  std::shared_ptr<StreamSession> session() const override;
  std::optional<std::int64_t> stream_id() const override { return id_; }
  std::optional<TransportStatistics> statistics() const override;
  // The Connection this stream reports to, once started.
  std::shared_ptr<TransportSink> sink() const { return sink_.lock(); }

 private:
  void start_reading() override;

  std::shared_ptr<QuicConnection> group_;
  std::int64_t id_;
};

}  // namespace taps::detail
