// QuicConnection's setup: the client's and the server's connection, their settings and
// transport parameters, and the TLS session under them.
#include "quic/quic_connection.hpp"

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <asio/post.hpp>

#include "quic/quic_common.hpp"
#include "transport/address.hpp"
#include "transport/socket_error.hpp"

namespace taps::detail {
using namespace quic;
namespace {

// Both roles start with the same windows, limits and timeouts.
ngtcp2_settings connection_settings() {
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ns();
  settings.handshake_timeout = std::chrono::nanoseconds(handshake_timeout).count();
  settings.max_window = max_connection_window;
  settings.max_stream_window = max_stream_window;
  return settings;
}

ngtcp2_transport_params transport_params() {
  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = stream_window;
  params.initial_max_stream_data_bidi_remote = stream_window;
  params.initial_max_stream_data_uni = stream_window;
  params.initial_max_data = connection_window;
  params.initial_max_streams_bidi = max_bidi_streams;
  params.initial_max_streams_uni = max_uni_streams;
  params.max_idle_timeout = std::chrono::nanoseconds(idle_timeout).count();
  return params;
}

}  // namespace

// A burst of a congestion window arrives faster than one loop turn reads it: with the
// default 208 KiB the kernel drops it, and QUIC reads that as congestion. The kernel caps
// the sizes at net.core.rmem_max / wmem_max.
void tune_quic_socket(asio::ip::udp::socket& socket) {
  std::error_code ignored;
  socket.set_option(asio::socket_base::receive_buffer_size(4 * 1024 * 1024), ignored);
  socket.set_option(asio::socket_base::send_buffer_size(4 * 1024 * 1024), ignored);
}

QuicConnection::QuicConnection(Role role, std::shared_ptr<asio::ip::udp::socket> socket,
                               std::shared_ptr<QuicTlsContext> tls, Events events)
    : role_(role), socket_(std::move(socket)), tls_(std::move(tls)), events_(std::move(events)),
      timer_(socket_->get_executor()) {
  conn_ref_.get_conn = conn_of;
  conn_ref_.user_data = this;
}

QuicConnection::~QuicConnection() {
  // ngtcp2 calls back into the session's data while it is deleted: the session goes last.
  conn_.reset();
}

ngtcp2_conn* QuicConnection::conn_of(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<QuicConnection*>(ref->user_data)->conn_.get();
}

std::optional<Error> QuicConnection::start_tls(const std::string& sni) {
  auto session = tls_->new_session(sni);
  if (!session) return session.error();
  session_ = std::move(*session);
  int rc = role_ == Role::client ? ngtcp2_crypto_gnutls_configure_client_session(session_.get())
                                 : ngtcp2_crypto_gnutls_configure_server_session(session_.get());
  if (rc != 0) return make_error(errc::establishment_failed, "cannot configure GnuTLS for QUIC");
  gnutls_session_set_ptr(session_.get(), &conn_ref_);
  gnutls_session_set_verify_function(session_.get(), verify_certificate);
  ngtcp2_conn_set_tls_native_handle(conn_.get(), session_.get());
  return std::nullopt;
}

// GnuTLS asks during the handshake; the reason of a refusal is kept for the error text.
int QuicConnection::verify_certificate(gnutls_session_t session) {
  auto* ref = static_cast<ngtcp2_crypto_conn_ref*>(gnutls_session_get_ptr(session));
  auto& self = *static_cast<QuicConnection*>(ref->user_data);
  auto refusal = self.tls_->verify_peer(session, self.verify_name_);
  if (!refusal) return 0;
  self.verify_error_ = *refusal;
  return -1;
}

Result<std::shared_ptr<QuicConnection>> QuicConnection::connect(asio::ip::udp::socket socket,
                                                                std::shared_ptr<QuicTlsContext> tls,
                                                                std::string verify_name, std::string sni,
                                                                Events events) {
  auto shared = std::make_shared<asio::ip::udp::socket>(std::move(socket));
  auto self = std::make_shared<QuicConnection>(Role::client, shared, std::move(tls), std::move(events));
  std::error_code ec;
  auto local = shared->local_endpoint(ec);
  auto remote = ec ? asio::ip::udp::endpoint{} : shared->remote_endpoint(ec);
  if (ec) return socket_error(ec, "QUIC socket");
  shared->non_blocking(true, ec);
  tune_quic_socket(*shared);
  self->remote_ = remote;
  self->remote_text_ = endpoint_string(remote);
  self->local_text_ = endpoint_string(local);
  self->verify_name_ = std::move(verify_name);
  self->local_len_ = to_sockaddr(local, self->local_addr_);
  self->remote_len_ = to_sockaddr(remote, self->remote_addr_);

  ngtcp2_cid dcid, scid;
  dcid.datalen = NGTCP2_MIN_INITIAL_DCIDLEN;
  scid.datalen = cid_length;
  if (!random_bytes(dcid.data, dcid.datalen) || !random_bytes(scid.data, scid.datalen)) {
    return make_error(errc::establishment_failed, "no random bytes for a QUIC connection ID");
  }
  ngtcp2_path path{{reinterpret_cast<sockaddr*>(&self->local_addr_), self->local_len_},
                   {reinterpret_cast<sockaddr*>(&self->remote_addr_), self->remote_len_},
                   nullptr};
  auto settings = connection_settings();
  auto params = transport_params();
  auto cb = callbacks(Role::client);
  ngtcp2_conn* conn = nullptr;
  int rc = ngtcp2_conn_client_new(&conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb, &settings, &params, nullptr,
                                  self.get());
  if (rc != 0) return make_error(errc::establishment_failed, std::string("ngtcp2: ") + ngtcp2_strerror(rc));
  self->conn_.reset(conn);
  if (auto e = self->start_tls(sni)) return *e;
  asio::post(shared->get_executor(), [self] {
    self->read_socket();
    self->flush();
  });
  return self;
}

Result<std::shared_ptr<QuicConnection>> QuicConnection::accept(std::shared_ptr<asio::ip::udp::socket> socket,
                                                               const asio::ip::udp::endpoint& local,
                                                               const asio::ip::udp::endpoint& remote,
                                                               std::span<const std::uint8_t> packet,
                                                               std::shared_ptr<QuicTlsContext> tls, Events events) {
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, packet.data(), packet.size()) != 0) {
    return make_error(errc::establishment_failed, "not a QUIC Initial packet");
  }
  auto self = std::make_shared<QuicConnection>(Role::server, std::move(socket), std::move(tls), std::move(events));
  self->remote_ = remote;
  self->remote_text_ = endpoint_string(remote);
  self->local_text_ = endpoint_string(local);
  self->local_len_ = to_sockaddr(local, self->local_addr_);
  self->remote_len_ = to_sockaddr(remote, self->remote_addr_);
  ngtcp2_cid scid;
  scid.datalen = cid_length;
  if (!random_bytes(scid.data, scid.datalen)) return make_error(errc::establishment_failed, "no random bytes");
  ngtcp2_path path{{reinterpret_cast<sockaddr*>(&self->local_addr_), self->local_len_},
                   {reinterpret_cast<sockaddr*>(&self->remote_addr_), self->remote_len_},
                   nullptr};
  auto settings = connection_settings();
  auto params = transport_params();
  params.original_dcid = hd.dcid;
  params.stateless_reset_token_present = 1;
  random_bytes(params.stateless_reset_token, sizeof(params.stateless_reset_token));
  auto cb = callbacks(Role::server);
  ngtcp2_conn* conn = nullptr;
  int rc = ngtcp2_conn_server_new(&conn, &hd.scid, &scid, &path, hd.version, &cb, &settings, &params, nullptr,
                                  self.get());
  if (rc != 0) return make_error(errc::establishment_failed, std::string("ngtcp2: ") + ngtcp2_strerror(rc));
  self->conn_.reset(conn);
  if (auto e = self->start_tls({})) return *e;
  return self;
}

std::vector<ngtcp2_cid> QuicConnection::connection_ids() const {
  std::vector<ngtcp2_cid> ids(ngtcp2_conn_get_num_scid(conn_.get()));
  ngtcp2_conn_get_scid(conn_.get(), ids.data());
  return ids;
}

}  // namespace taps::detail
