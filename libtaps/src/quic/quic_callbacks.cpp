// QuicConnection's ngtcp2 callbacks: static trampolines that note what happened in the
// streams' state; Connections hear of it at the next flush() round.
#include "quic/quic_connection.hpp"

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <fmt/format.h>

#include "quic/quic_common.hpp"

namespace taps::detail {
using namespace quic;
namespace {

QuicConnection& self_of(void* user) { return *static_cast<QuicConnection*>(user); }

}  // namespace

ngtcp2_callbacks QuicConnection::callbacks(Role role) {
  ngtcp2_callbacks cb{};
  if (role == Role::client) {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  } else {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  }
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.handshake_completed = on_handshake_completed;
  cb.recv_stream_data = on_recv_stream_data;
  cb.acked_stream_data_offset = on_acked_stream_data;
  cb.stream_open = on_stream_open;
  cb.stream_close = on_stream_close;
  cb.stream_reset = on_stream_reset;
  cb.stream_stop_sending = on_stream_stop_sending;
  cb.extend_max_stream_data = on_extend_max_stream_data;
  cb.rand = on_rand;
  cb.get_new_connection_id = on_new_connection_id;
  cb.remove_connection_id = on_remove_connection_id;
  return cb;
}


int QuicConnection::on_handshake_completed(ngtcp2_conn*, void* user) {
  self_of(user).handshake_completed_ = true;
  return 0;
}

int QuicConnection::on_recv_stream_data(ngtcp2_conn*, std::uint32_t flags, std::int64_t id, std::uint64_t,
                                        const std::uint8_t* data, std::size_t n, void* user, void*) {
  auto& self = self_of(user);
  auto* s = self.find(id);
  if (!s) s = &self.add_stream(id);
  if (n > 0) s->received.emplace_back(std::vector<std::uint8_t>(data, data + n));
  if (flags & NGTCP2_STREAM_DATA_FLAG_FIN) s->peer_fin = true;
  return 0;
}

int QuicConnection::on_acked_stream_data(ngtcp2_conn*, std::int64_t id, std::uint64_t offset, std::uint64_t n,
                                         void* user, void*) {
  auto& self = self_of(user);
  if (auto* s = self.find(id)) {
    s->send.acked(offset, n);
    // The stream's loss count is gone once it closes, which an acknowledgement may cause.
    s->lost = ngtcp2_conn_get_stream_loss_count(self.conn_.get(), id);
    // More may be pulled from the queue now; notify() reports an acknowledged FIN.
    self.again_ = true;
  }
  return 0;
}

int QuicConnection::on_stream_open(ngtcp2_conn*, std::int64_t id, void* user) {
  auto& self = self_of(user);
  if (!self.find(id)) self.add_stream(id);
  self.opened_by_peer_.push_back(id);
  return 0;
}

int QuicConnection::on_stream_close(ngtcp2_conn*, std::uint32_t, std::int64_t id, std::uint64_t, void* user, void*) {
  auto& self = self_of(user);
  if (auto* s = self.find(id)) s->closed = true;
  // The peer may open another in its place.
  if (!ngtcp2_is_bidi_stream(id)) {
    if ((id & 1) != (self.role_ == Role::server ? 0 : 1)) return 0;
    ngtcp2_conn_extend_max_streams_uni(self.conn_.get(), 1);
  } else if ((id & 1) == (self.role_ == Role::server ? 0 : 1)) {
    ngtcp2_conn_extend_max_streams_bidi(self.conn_.get(), 1);
  }
  return 0;
}

int QuicConnection::on_stream_reset(ngtcp2_conn*, std::int64_t id, std::uint64_t, std::uint64_t code, void* user,
                                    void*) {
  if (auto* s = self_of(user).find(id)) {
    s->reset = make_error(errc::connection_reset, fmt::format("the peer reset QUIC stream {} (error code {:#x})", id, code));
  }
  return 0;
}

int QuicConnection::on_stream_stop_sending(ngtcp2_conn*, std::int64_t id, std::uint64_t code, void* user, void*) {
  if (auto* s = self_of(user).find(id)) {
    s->reset = make_error(errc::connection_reset,
                          fmt::format("the peer stopped reading QUIC stream {} (error code {:#x})", id, code));
  }
  return 0;
}

int QuicConnection::on_extend_max_stream_data(ngtcp2_conn*, std::int64_t id, std::uint64_t, void* user, void*) {
  if (auto* s = self_of(user).find(id)) s->blocked = false;
  return 0;
}

void QuicConnection::on_rand(std::uint8_t* dest, std::size_t n, const ngtcp2_rand_ctx*) { random_bytes(dest, n); }

int QuicConnection::on_new_connection_id(ngtcp2_conn*, ngtcp2_cid* cid, std::uint8_t* token, std::size_t n,
                                         void* user) {
  if (!random_bytes(cid->data, n) || !random_bytes(token, NGTCP2_STATELESS_RESET_TOKENLEN)) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  cid->datalen = n;
  auto& self = self_of(user);
  if (self.events_.connection_id) self.events_.connection_id(*cid, true);
  return 0;
}

int QuicConnection::on_remove_connection_id(ngtcp2_conn*, const ngtcp2_cid* cid, void* user) {
  auto& self = self_of(user);
  if (self.events_.connection_id) self.events_.connection_id(*cid, false);
  return 0;
}

}  // namespace taps::detail
