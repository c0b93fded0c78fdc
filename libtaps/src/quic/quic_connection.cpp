// QuicConnection's data path: datagrams in, the flush() round between ngtcp2 and the
// Connections, packets out, the timer, and the end.
#include "quic/quic_connection.hpp"

#include <gnutls/gnutls.h>

#include <asio/post.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "quic/quic_common.hpp"
#include "quic/quic_stream_transport.hpp"
#include "transport/socket_error.hpp"

namespace taps::detail {
using namespace quic;

// --- input ------------------------------------------------------------------------------

// A client reads its own socket: every datagram that is there, then one flush.
void QuicConnection::read_socket() {
  if (ended_ || reading_) return;
  reading_ = true;
  socket_->async_wait(asio::socket_base::wait_read, [self = shared_from_this()](std::error_code ec) {
    self->reading_ = false;
    if (ec == asio::error::operation_aborted || self->ended_) return;
    self->rx_.resize(65536);
    for (std::size_t i = 0; i < max_packets_per_read && !self->ended_; ++i) {
      asio::ip::udp::endpoint from;
      std::error_code rec;
      std::size_t n = self->socket_->receive_from(asio::buffer(self->rx_), from, 0, rec);
      if (rec == asio::error::would_block || rec == asio::error::try_again) break;
      // ICMP unreachable fails an attempt at once; once established QUIC does not trust
      // it (RFC 9000 section 14.2.1 allows ignoring it): the idle timeout decides, and
      // what has arrived is still delivered.
      if (rec == asio::error::connection_refused && self->handshake_completed_) continue;
      if (rec) {
        self->end(socket_error(rec, "receive from " + self->remote_text_));
        return;
      }
      self->process({self->rx_.data(), n}, from);
    }
    self->flush();
    self->read_socket();
  });
}

void QuicConnection::receive(std::span<const std::uint8_t> packet, const asio::ip::udp::endpoint& remote) {
  process(packet, remote);
}

void QuicConnection::process(std::span<const std::uint8_t> packet, const asio::ip::udp::endpoint& remote) {
  if (ended_ || !conn_) return;
  sockaddr_storage from{};
  socklen_t from_len = to_sockaddr(remote, from);
  ngtcp2_path path{{reinterpret_cast<sockaddr*>(&local_addr_), local_len_},
                   {reinterpret_cast<sockaddr*>(&from), from_len},
                   nullptr};
  ngtcp2_pkt_info pi{};
  int rc = ngtcp2_conn_read_pkt(conn_.get(), &path, &pi, packet.data(), packet.size(), now_ns());
  if (rc == 0) return;
  if (rc == NGTCP2_ERR_DRAINING) {
    // The peer closed the connection. ngtcp2 0.12 does not tell us its error code.
    end(handshake_completed_ ? std::optional<Error>()
                             : make_error(errc::establishment_failed,
                                          "the peer closed the QUIC connection during the handshake (did it refuse "
                                          "our ALPN or certificate?)"));
    return;
  }
  if (rc == NGTCP2_ERR_DISCARD_PKT) return;
  fail(rc);
}

// --- streams ------------------------------------------------------------------------------

QuicConnection::Stream* QuicConnection::find(std::int64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

QuicConnection::Stream& QuicConnection::add_stream(std::int64_t id) {
  auto& s = streams_[id];
  s.id = id;
  return s;
}

std::shared_ptr<QuicStreamTransport> QuicConnection::make_transport(Stream& s) {
  auto transport = std::make_shared<QuicStreamTransport>(shared_from_this(), s.id);
  s.transport = transport;
  return transport;
}

Result<std::shared_ptr<Transport>> QuicConnection::open_stream(bool bidirectional) {
  if (ended_ || closing_) return make_error(errc::connection_closed, "the QUIC connection is closed");
  std::int64_t id = -1;
  int rc = bidirectional ? ngtcp2_conn_open_bidi_stream(conn_.get(), &id, nullptr)
                         : ngtcp2_conn_open_uni_stream(conn_.get(), &id, nullptr);
  if (rc == NGTCP2_ERR_STREAM_ID_BLOCKED) {
    return make_error(errc::establishment_failed, "the peer allows no more QUIC streams now");
  }
  if (rc != 0) return make_error(errc::establishment_failed, std::string("open a QUIC stream: ") + ngtcp2_strerror(rc));
  auto& s = add_stream(id);
  // Nothing comes our way on it: its receiving end is over from the start.
  if (!bidirectional) s.peer_fin = true;
  return std::shared_ptr<Transport>(make_transport(s));
}

void QuicConnection::on_peer_stream(std::function<bool(std::shared_ptr<Transport>)> handler) {
  events_.peer_stream = std::move(handler);
}

void QuicConnection::stream_started(std::int64_t) { flush(); }
void QuicConnection::stream_wants_write(std::int64_t) { flush(); }
void QuicConnection::stream_resumed(std::int64_t) { flush(); }

// Graceful: the Connection is done with it (both FINs are through). Abort: the stream is
// reset both ways. Either way the group closes when it was the client's last stream.
void QuicConnection::stream_shutdown(std::int64_t id, bool graceful) {
  auto* s = find(id);
  if (!s || s->detached) return;
  s->detached = true;
  if (!graceful && !ended_ && !s->closed) {
    ngtcp2_conn_shutdown_stream(conn_.get(), id, abort_error_code);
  }
  maybe_close();
  flush();
}

void QuicConnection::close_when_done() {
  if (ended_) return;
  close_when_done_ = true;
  maybe_close();
  flush();
}

// CONNECTION_CLOSE with the code of an aborted stream; the Connections are told by core.
void QuicConnection::abort() {
  if (ended_) return;
  for (auto& [id, s] : streams_) s.detached = true;
  closing_ = true;
  send_close(abort_error_code);
  end(std::nullopt);
}

void QuicConnection::cancel() {
  events_ = {};
  end(std::nullopt);
}

// A client's connection lives while a Connection uses one of its streams: when the last
// one is done, the group closes (a server leaves closing to its client, unless asked:
// CloseGroup, or its Listener stopped).
void QuicConnection::maybe_close() {
  if ((role_ != Role::client && !close_when_done_) || ended_) return;
  for (const auto& [id, s] : streams_) {
    if (!s.detached && !s.transport.expired()) return;
  }
  if (!closing_) {
    closing_ = true;
    close_deadline_ = std::chrono::steady_clock::now() + close_linger;
  }
}

std::optional<TlsInfo> QuicConnection::tls_info() const {
  if (!session_) return std::nullopt;
  return tls_->info(session_.get());
}

// ngtcp2 0.12 counts lost packets per stream only, and forgets a closed stream's count:
// the streams keep what they last saw.
TransportStatistics QuicConnection::statistics() const {
  TransportStatistics out;
  if (!conn_) return out;
  ngtcp2_conn_stat stat;
  ngtcp2_conn_get_conn_stat(conn_.get(), &stat);
  out.smoothed_rtt = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(stat.smoothed_rtt));
  out.min_rtt = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(stat.min_rtt));
  out.congestion_window = stat.cwnd;
  out.bytes_in_flight = stat.bytes_in_flight;
  for (const auto& [id, s] : streams_) {
    out.packets_lost += s.closed ? s.lost : std::max(s.lost, ngtcp2_conn_get_stream_loss_count(conn_.get(), id));
  }
  return out;
}

// --- output -------------------------------------------------------------------------------

// The one place that talks to the Connections: input is delivered, queues are pulled,
// packets written, sent events reported. A Connection that calls back (start_writing
// from on_data, shutdown from on_sent) only asks for another round.
void QuicConnection::flush() {
  if (busy_) {
    again_ = true;
    return;
  }
  if (ended_ || !conn_) return;
  auto keep = shared_from_this();
  busy_ = true;
  do {
    again_ = false;
    notify();
    if (ended_) break;
    if (closing_ && ready_to_close()) {
      send_close(no_error_code);
      end(std::nullopt);
      break;
    }
    if (!write_packets()) break;
    report_sent();
  } while (again_ && !ended_);
  busy_ = false;
  if (!ended_) arm_timer();
}

// Every stream we used is closed (our FIN acknowledged, the peer's received), or the
// linger is over. Streams nobody took (an HTTP/3 server's control streams) do not count.
bool QuicConnection::ready_to_close() const {
  if (std::chrono::steady_clock::now() >= close_deadline_) return true;
  for (const auto& [id, s] : streams_) {
    if (!s.closed && !s.reset && s.detached) return false;
  }
  return true;
}

// Handshake, new streams, received bytes, ends and resets reach their Connections.
void QuicConnection::notify() {
  if (handshake_completed_ && !handshake_reported_) {
    handshake_reported_ = true;
    if (events_.handshake_done) events_.handshake_done({});
  }
  auto opened = std::move(opened_by_peer_);
  opened_by_peer_.clear();
  for (auto id : opened) {
    auto* s = find(id);
    if (!s || !s->transport.expired()) continue;
    s->unwanted = !events_.peer_stream || !events_.peer_stream(make_transport(*s));
  }
  for (auto& [id, s] : streams_) {
    if (ended_) return;
    deliver(s);
  }
}

void QuicConnection::deliver(Stream& s) {
  auto transport = s.transport.lock();
  auto sink = transport ? transport->sink() : nullptr;
  if (!sink) {
    // Nobody will read a stream the peer opened and nobody took: it is consumed unread
    // (an HTTP/3 server's control streams), so that it does not hold flow control.
    if (!s.unwanted) return;
    for (const auto& m : s.received) s.credit += m.size();
    s.received.clear();
  } else if (s.detached) {
    return;
  } else if (s.reset) {
    auto error = *s.reset;
    s.detached = true;
    sink->on_transport_error(error);
    return;
  } else {
    while (!s.received.empty() && !sink->receive_buffer_full()) {
      auto m = std::move(s.received.front());
      s.received.pop_front();
      s.credit += m.size();
      sink->on_data(std::move(m), {});
      if (ended_ || s.detached) return;
    }
    if (s.received.empty() && s.peer_fin && !s.end_reported) {
      s.end_reported = true;
      sink->on_end_of_stream();
      if (ended_ || s.detached) return;
    }
    // Our FIN is "sent" once the peer has acknowledged it and every byte before it: a
    // Connection that closes then may end the process, and nothing is left to resend.
    if (!s.final_reported && s.send.fin_written() && (s.send.fin_acked() || s.closed)) {
      s.final_reported = true;
      sink->on_final_sent();
      if (ended_ || s.detached) return;
    }
  }
  if (s.credit > 0 && !s.closed) {
    ngtcp2_conn_extend_max_stream_offset(conn_.get(), s.id, s.credit);
    ngtcp2_conn_extend_max_offset(conn_.get(), s.credit);
  }
  s.credit = 0;
}

// Takes from the Connection's queue what may be held ahead of ngtcp2.
bool QuicConnection::pull(Stream& s) {
  if (s.detached || s.reset || s.send.fin_written() || s.send.fin_pending()) return !s.send.idle();
  auto transport = s.transport.lock();
  auto sink = transport ? transport->sink() : nullptr;
  if (!sink) return !s.send.idle();
  // A unidirectional stream the peer opened carries nothing our way out.
  bool ours = (s.id & 1) == (role_ == Role::server ? 1 : 0);
  if (!ngtcp2_is_bidi_stream(s.id) && !ours) {
    while (sink->has_outgoing() && !s.detached) {
      auto out = sink->pop_outgoing();
      // Closing it has nothing to send: its end in our direction is there from the start.
      if (out.ctx.final && out.message.empty()) {
        sink->on_sent(std::move(out));
        sink->on_final_sent();
        continue;
      }
      sink->on_send_failed(std::move(out), make_error(errc::not_supported,
                                                      fmt::format("QUIC stream {} is the peer's unidirectional "
                                                                  "stream: it only receives", s.id)));
    }
    return false;
  }
  sink->expire_outgoing();
  while (sink->has_outgoing() && s.send.held_bytes() < max_held_per_stream && !s.send.fin_pending()) {
    s.send.push(sink->pop_outgoing());
  }
  // Empty messages are written as soon as what precedes them is.
  for (auto& out : s.send.written(0, false)) sent_.push_back({sink, std::move(out)});
  return !s.send.idle();
}

QuicConnection::Stream* QuicConnection::next_writable() {
  if (streams_.empty()) return nullptr;
  auto start = streams_.lower_bound(next_stream_);
  auto it = start;
  for (std::size_t i = 0; i < streams_.size(); ++i, ++it) {
    if (it == streams_.end()) it = streams_.begin();
    auto& s = it->second;
    if (s.blocked || s.closed) continue;
    if (pull(s)) {
      auto next = std::next(it);
      next_stream_ = next == streams_.end() ? streams_.begin()->first : next->first;
      return &s;
    }
  }
  return nullptr;
}

void QuicConnection::account(Stream& s, std::uint64_t n, bool fin) {
  auto transport = s.transport.lock();
  auto sink = transport ? transport->sink() : nullptr;
  auto done = s.send.written(n, fin);
  if (!sink) return;
  for (auto& out : done) sent_.push_back({sink, std::move(out)});
}

void QuicConnection::report_sent() {
  auto sent = std::move(sent_);
  sent_.clear();
  for (auto& item : sent) {
    if (ended_) return;
    item.sink->on_sent(std::move(item.out));
  }
}

// Packets until ngtcp2 has nothing more (or the congestion window or pacing says
// stop: the timer brings us back). False when the connection ended.
bool QuicConnection::write_packets() {
  if (!blocked_packet_.empty()) return true;
  auto ts = now_ns();
  std::size_t max_size = ngtcp2_conn_get_max_tx_udp_payload_size(conn_.get());
  std::size_t max_packets = std::max<std::size_t>(ngtcp2_conn_get_send_quantum(conn_.get()) / max_size, 1);
  tx_.resize(max_size);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  std::size_t packets = 0;
  std::vector<ngtcp2_vec> vecs;
  for (;;) {
    Stream* s = next_writable();
    std::int64_t id = -1;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    std::uint64_t total = 0;
    vecs.clear();
    if (s) {
      id = s->id;
      for (auto span : s->send.unwritten(16)) {
        vecs.push_back({const_cast<std::uint8_t*>(span.data()), span.size()});
        total += span.size();
      }
      if (s->send.fin_pending() && total == s->send.unwritten_bytes()) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize taken = -1;
    auto n = ngtcp2_conn_writev_stream(conn_.get(), &ps.path, &pi, tx_.data(), max_size, &taken, flags, id,
                                       vecs.data(), vecs.size(), ts);
    if (n < 0) {
      switch (n) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:
        case NGTCP2_ERR_STREAM_SHUT_WR:
        case NGTCP2_ERR_STREAM_NOT_FOUND:
        case NGTCP2_ERR_STREAM_STATE:
          // This stream cannot send now (or ever); the others can.
          if (!s) {
            fail(static_cast<int>(n));
            return false;
          }
          s->blocked = true;
          continue;
        case NGTCP2_ERR_WRITE_MORE:
          account(*s, static_cast<std::uint64_t>(taken), (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && taken >= 0 &&
                                                             static_cast<std::uint64_t>(taken) == total);
          continue;
        default:
          fail(static_cast<int>(n));
          return false;
      }
    }
    if (s && taken >= 0) {
      account(*s, static_cast<std::uint64_t>(taken),
              (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && static_cast<std::uint64_t>(taken) == total);
    }
    if (n == 0) break;
    if (!send_packet(tx_.data(), static_cast<std::size_t>(n))) break;
    if (++packets >= max_packets) break;
  }
  ngtcp2_conn_update_pkt_tx_time(conn_.get(), ts);
  return !ended_;
}

// False when the socket is full: the packet waits for it to drain.
bool QuicConnection::send_packet(const std::uint8_t* data, std::size_t n) {
  std::error_code ec;
  socket_->send_to(asio::buffer(data, n), remote_, 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    blocked_packet_.assign(data, data + n);
    wait_writable();
    return false;
  }
  // A lost datagram is what QUIC recovers from; ICMP errors arrive on the read side.
  return true;
}

void QuicConnection::wait_writable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  socket_->async_wait(asio::socket_base::wait_write, [self = shared_from_this()](std::error_code ec) {
    self->waiting_writable_ = false;
    if (ec || self->ended_) return;
    auto packet = std::move(self->blocked_packet_);
    self->blocked_packet_.clear();
    if (!self->send_packet(packet.data(), packet.size())) return;
    self->flush();
  });
}

void QuicConnection::send_close(std::uint64_t code) {
  if (!conn_ || ngtcp2_conn_is_in_closing_period(conn_.get()) || ngtcp2_conn_is_in_draining_period(conn_.get())) return;
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_set_application_error(&ccerr, code, nullptr, 0);
  write_close(ccerr);
}

void QuicConnection::write_close(const ngtcp2_connection_close_error& ccerr) {
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  tx_.resize(NGTCP2_MAX_UDP_PAYLOAD_SIZE);
  auto n = ngtcp2_conn_write_connection_close(conn_.get(), &ps.path, &pi, tx_.data(), tx_.size(), &ccerr, now_ns());
  // There is no closing period (the process may exit next) to answer a retransmission
  // with CONNECTION_CLOSE again, so it goes out three times at once: with 2 % loss a
  // peer then misses it once in 125 000 closes, not once in 50 (RFC 9000 10.2.1 lets a
  // closing endpoint repeat that packet).
  for (int copy = 0; n > 0 && copy < 3; ++copy) {
    std::error_code ignored;
    socket_->send_to(asio::buffer(tx_.data(), static_cast<std::size_t>(n)), remote_, 0, ignored);
  }
}

// --- time -----------------------------------------------------------------------------------

void QuicConnection::arm_timer() {
  auto expiry = ngtcp2_conn_get_expiry(conn_.get());
  auto deadline = TimePoint::max();
  if (expiry != UINT64_MAX) deadline = TimePoint(std::chrono::nanoseconds(expiry));
  if (closing_ && close_deadline_ != TimePoint{}) deadline = std::min(deadline, close_deadline_);
  if (deadline == TimePoint::max()) {
    timer_.cancel();
    return;
  }
  if (timer_armed_ && deadline == timer_deadline_) return;
  timer_armed_ = true;
  timer_deadline_ = deadline;
  timer_.expires_at(deadline);
  timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->timer_armed_ = false;
    self->on_timer();
  });
}

void QuicConnection::on_timer() {
  if (ended_) return;
  auto keep = shared_from_this();
  int rc = ngtcp2_conn_handle_expiry(conn_.get(), now_ns());
  if (rc == NGTCP2_ERR_IDLE_CLOSE) {
    end(make_error(errc::connection_reset, fmt::format("QUIC connection with {} idle for {} s", remote_text_,
                                                       idle_timeout.count())));
    return;
  }
  if (rc == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
    end(make_error(errc::establishment_timeout,
                   fmt::format("no QUIC handshake with {} within {} s", remote_text_, handshake_timeout.count())));
    return;
  }
  if (rc != 0) {
    fail(rc);
    return;
  }
  flush();
}

// --- the end --------------------------------------------------------------------------------

std::string QuicConnection::handshake_error(int liberr) const {
  if (!verify_error_.empty()) return "TLS handshake failed: " + verify_error_;
  if (liberr == NGTCP2_ERR_CRYPTO) {
    auto alert = ngtcp2_conn_get_tls_alert(conn_.get());
    auto text = gnutls_alert_get_strname(static_cast<gnutls_alert_description_t>(alert));
    if (alert == GNUTLS_A_NO_APPLICATION_PROTOCOL) {
      std::string ours;
      for (const auto& a : tls_->alpn()) ours += (ours.empty() ? "" : ", ") + a;
      return "TLS handshake failed: no application protocol agreed with ALPN (ours: " + ours + ")";
    }
    // Ours only as a server requiring a client certificate: worded as the TLS/TCP stack does.
    if (alert == GNUTLS_A_CERTIFICATE_REQUIRED) return "TLS handshake failed: peer did not return a certificate";
    return std::string("TLS handshake failed: ") + (text ? text : "alert") ;
  }
  return std::string("QUIC: ") + ngtcp2_strerror(liberr);
}

// A fatal error of ours: CONNECTION_CLOSE says why, then everything ends.
void QuicConnection::fail(int liberr) {
  if (ended_) return;
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  if (liberr == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, ngtcp2_conn_get_tls_alert(conn_.get()),
                                                                nullptr, 0);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
  }
  if (!ngtcp2_conn_is_in_closing_period(conn_.get()) && !ngtcp2_conn_is_in_draining_period(conn_.get())) {
    write_close(ccerr);
  }
  auto why = handshake_error(liberr);
  end(make_error(handshake_completed_ ? errc::connection_reset : errc::establishment_failed,
                 handshake_completed_ ? "QUIC with " + remote_text_ + ": " + why : why));
}

// Every stream still in use hears of the end; a finished one (both FINs through) does
// not, and neither does one whose Connection already let it go.
void QuicConnection::end(const std::optional<Error>& error) {
  if (ended_) return;
  ended_ = true;
  auto keep = shared_from_this();
  timer_.cancel();
  if (role_ == Role::client) {
    std::error_code ignored;
    socket_->close(ignored);
  }
  if (!handshake_reported_) {
    handshake_reported_ = true;
    if (events_.handshake_done) events_.handshake_done(error ? error->message() : "the QUIC connection ended");
  }
  for (auto& [id, s] : streams_) {
    if (s.detached) continue;
    auto transport = s.transport.lock();
    auto sink = transport ? transport->sink() : nullptr;
    if (!sink) continue;
    s.detached = true;
    // The peer closed after its FIN: what it sent is all here, and is delivered (past the
    // receive bound: there is no later). A stream whose FIN is missing was cut short.
    if (!error && s.peer_fin) {
      for (auto& m : s.received) sink->on_data(std::move(m), {});
      s.received.clear();
      if (!s.end_reported) sink->on_end_of_stream();
      s.end_reported = true;
      // The peer closed after taking our FIN: it has everything, acknowledged or not.
      if (s.send.fin_written() && !s.final_reported) {
        s.final_reported = true;
        sink->on_final_sent();
      }
      if (s.send.fin_written() || !ngtcp2_is_bidi_stream(id)) continue;
    }
    sink->on_transport_error(error ? *error
                                   : make_error(errc::connection_reset,
                                                closing_ ? "the QUIC connection was closed"
                                                         : "the peer closed the QUIC connection with " + remote_text_));
  }
  auto ended = std::move(events_.ended);
  events_ = {};
  if (ended) ended();
}

}  // namespace taps::detail
