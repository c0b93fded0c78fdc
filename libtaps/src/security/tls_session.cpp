#include "security/tls_session.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cstring>

#include "security/certificate_info.hpp"
#include "security/tls_context.hpp"

namespace taps::detail {
namespace {

// Room for one full TLS record at first (the handshake needs no more); doubled while
// reads fill what is offered, up to the size that keeps bulk transfers at few syscalls.
constexpr std::size_t initial_input = 16 * 1024 + 512;
constexpr std::size_t max_input = 256 * 1024;

}  // namespace

// The BIO between OpenSSL and a TlsSession's buffers. Reading an empty input asks
// OpenSSL to retry later, unless the transport ended: then it is end of file, and
// OpenSSL 3 reports a missing close_notify as "unexpected eof while reading".
struct TransportBio {
  static TlsSession& session(BIO* bio) { return *static_cast<TlsSession*>(BIO_get_data(bio)); }

  static int read(BIO* bio, char* out, int size) {
    auto& s = session(bio);
    BIO_clear_retry_flags(bio);
    std::size_t available = s.input_end_ - s.input_begin_;
    if (available == 0) {
      if (!s.input_ended_) BIO_set_retry_read(bio);
      return s.input_ended_ ? 0 : -1;
    }
    std::size_t n = std::min(available, static_cast<std::size_t>(size));
    std::memcpy(out, s.input_.data() + s.input_begin_, n);
    s.input_begin_ += n;
    return static_cast<int>(n);
  }

  static int write(BIO* bio, const char* data, int size) {
    auto& out = session(bio).output_;
    out.insert(out.end(), data, data + size);
    return size;
  }

  static long ctrl(BIO* bio, int command, long, void*) {
    auto& s = session(bio);
    switch (command) {
      case BIO_CTRL_FLUSH: return 1;
      case BIO_CTRL_EOF: return s.input_ended_ && s.input_begin_ == s.input_end_;
      case BIO_CTRL_PENDING: return static_cast<long>(s.input_end_ - s.input_begin_);
      case BIO_CTRL_WPENDING: return 0;
      default: return 0;
    }
  }

  static const BIO_METHOD* method() {
    static const BioMethodPtr method = [] {
      BioMethodPtr m(BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "taps transport"));
      BIO_meth_set_read(m.get(), read);
      BIO_meth_set_write(m.get(), write);
      BIO_meth_set_ctrl(m.get(), ctrl);
      return m;
    }();
    return method.get();
  }
};

TlsSession::TlsSession(std::shared_ptr<TlsContext> context, SslPtr ssl, std::string peer)
    : context_(std::move(context)), ssl_(std::move(ssl)), peer_(std::move(peer)), input_want_(initial_input) {
  BioPtr bio(BIO_new(TransportBio::method()));
  BIO_set_data(bio.get(), this);
  BIO_set_init(bio.get(), 1);
  // One BIO both ways: SSL_set_bio takes over the one reference.
  SSL_set_bio(ssl_.get(), bio.get(), bio.get());
  bio.release();
  SSL_set_app_data(ssl_.get(), this);
}

std::span<std::uint8_t> TlsSession::input_space() {
  if (input_begin_ == input_end_) input_begin_ = input_end_ = 0;
  if (input_.size() - input_end_ < input_want_) {
    // Keep the unread bytes, moved to the front, and make room behind them.
    if (input_begin_ > 0) {
      std::memmove(input_.data(), input_.data() + input_begin_, input_end_ - input_begin_);
      input_end_ -= input_begin_;
      input_begin_ = 0;
    }
    if (input_.size() - input_end_ < input_want_) input_.resize(input_end_ + input_want_);
  }
  return {input_.data() + input_end_, input_.size() - input_end_};
}

void TlsSession::commit_input(std::size_t n) {
  if (n == input_.size() - input_end_) input_want_ = std::min(2 * input_want_, max_input);
  input_end_ += n;
}

void TlsSession::end_input() { input_ended_ = true; }

TlsSession::Status TlsSession::handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_.get());
  if (rc != 1) return fail(rc, "handshake");
  if (auto why = context_->check_established(*this)) {
    error_ = *why;
    return Status::failed;
  }
  return Status::done;
}

TlsSession::Status TlsSession::read(std::vector<std::uint8_t>& out, std::size_t max) {
  std::size_t start = out.size();
  // Plaintext is never longer than the ciphertext it came from, plus what OpenSSL holds.
  std::size_t room = std::min(max, input_end_ - input_begin_ + static_cast<std::size_t>(SSL_pending(ssl_.get())) + 1);
  out.resize(start + room);
  std::size_t filled = 0;
  Status status = Status::progress;
  while (filled < room) {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_.get(), out.data() + start + filled, room - filled, &n);
    if (rc != 1) {
      status = fail(0, "read");
      break;
    }
    filled += n;
  }
  out.resize(start + filled);
  return status;
}

bool TlsSession::write(const std::uint8_t* data, std::size_t size) {
  std::size_t written = 0;
  // The transport BIO takes every byte, so one call writes everything or fails for good
  // (the session already failed, or close_notify was sent).
  ERR_clear_error();
  if (SSL_write_ex(ssl_.get(), data, size, &written) == 1) return true;
  error_ = take_openssl_error("TLS write failed");
  return false;
}

void TlsSession::close_notify() {
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
}

void TlsSession::take_output(std::vector<std::uint8_t>& into) {
  into.clear();
  std::swap(into, output_);
}

std::string TlsSession::alpn() const {
  const unsigned char* name = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &name, &length);
  return name ? std::string(reinterpret_cast<const char*>(name), length) : std::string();
}

TlsInfo TlsSession::info() const {
  TlsInfo info;
  SSL* ssl = ssl_.get();
  info.version = SSL_get_version(ssl);
  if (const char* cipher = SSL_get_cipher_name(ssl)) info.cipher = cipher;
  if (int nid = SSL_get_negotiated_group(ssl); nid != NID_undef) {
    const char* name = SSL_group_to_name(ssl, nid);
    info.group = name ? name : OBJ_nid2sn(nid);
  }
  info.alpn = alpn();
  info.resumed = SSL_session_reused(ssl) == 1;
  if (X509* peer = SSL_get0_peer_certificate(ssl)) {
    info.peer_subject = name_text(X509_get_subject_name(peer));
    info.peer_issuer = name_text(X509_get_issuer_name(peer));
    info.peer_not_before = time_text(X509_get0_notBefore(peer));
    info.peer_not_after = time_text(X509_get0_notAfter(peer));
    info.peer_spki_pin = spki_pin_of(peer);
  }
  return info;
}

TlsSession::Status TlsSession::fail(int rc, const char* during) {
  switch (SSL_get_error(ssl_.get(), rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Status::need_input;
    case SSL_ERROR_ZERO_RETURN:
      return Status::done;
    case SSL_ERROR_SYSCALL:
      // Our BIO has no errno: this is end of input that OpenSSL did not classify.
      error_ = take_openssl_error(std::string("connection closed during the ") + during);
      return Status::failed;
    default:
      break;
  }
  error_ = take_openssl_error(std::string("TLS ") + during + " failed");
  // OpenSSL says "unsupported protocol" / "tlsv1 alert protocol version": the peer
  // wanted an older TLS than this engine speaks.
  if (error_ == "unsupported protocol" || error_ == "tlsv1 alert protocol version") {
    error_ = fmt::format("the {} offers TLS 1.2 at most; only TLS 1.3 is spoken here",
                         SSL_is_server(ssl_.get()) ? "client" : "server");
    return Status::failed;
  }
  if (!verify_detail_.empty()) {
    error_ += " (" + verify_detail_ + ")";
  } else if (long verdict = SSL_get_verify_result(ssl_.get()); verdict != X509_V_OK) {
    error_ += std::string(" (") + X509_verify_cert_error_string(verdict) + ")";
    if (!verify_hint_.empty()) error_ += "; " + verify_hint_;
  } else if (input_ended_ && input_begin_ == input_end_) {
    error_ += " (the peer ended the TCP connection without close_notify)";
  }
  return Status::failed;
}

}  // namespace taps::detail
