// Ownership of OpenSSL handles (one unique_ptr type per kind: nothing is freed by
// hand) and OpenSSL's error queue as text.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace taps::detail {

template <class T, void (*Free)(T*)>
struct OpensslDeleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpensslDeleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpensslDeleter<SSL, SSL_free>>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpensslDeleter<SSL_SESSION, SSL_SESSION_free>>;
using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509, X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO, BIO_free_all>>;
using BioMethodPtr = std::unique_ptr<BIO_METHOD, OpensslDeleter<BIO_METHOD, BIO_meth_free>>;

// The reason of the most recent error in this thread's OpenSSL error queue ("certificate
// verify failed", "no such file"), or `fallback` when the queue is empty. Clears the queue.
std::string take_openssl_error(const std::string& fallback);

}  // namespace taps::detail
