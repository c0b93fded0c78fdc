#include "quic/quic_stream_transport.hpp"

#include "quic/quic_connection.hpp"

namespace taps::detail {

QuicStreamTransport::QuicStreamTransport(std::shared_ptr<QuicConnection> group, std::int64_t id)
    : Transport("quic"), group_(std::move(group)), id_(id) {
  remote_ = group_->remote_text();
  local_ = group_->local_text();
}

void QuicStreamTransport::start_reading() { group_->stream_started(id_); }
void QuicStreamTransport::start_writing() { group_->stream_wants_write(id_); }
void QuicStreamTransport::resume_reading() { group_->stream_resumed(id_); }
void QuicStreamTransport::shutdown(bool graceful) { group_->stream_shutdown(id_, graceful); }
std::optional<TlsInfo> QuicStreamTransport::tls_info() const { return group_->tls_info(); }
std::shared_ptr<StreamSession> QuicStreamTransport::session() const { return group_; }
std::optional<TransportStatistics> QuicStreamTransport::statistics() const { return group_->statistics(); }

}  // namespace taps::detail
