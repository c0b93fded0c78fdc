// What people and pins need to know of a certificate, as text.
#pragma once

#include <openssl/x509.h>

#include <string>

namespace taps::detail {

// SHA-256 of the certificate's DER SubjectPublicKeyInfo, 64 lowercase hex digits (the
// form of pinnedServerCertificate); empty when it cannot be computed.
std::string spki_pin_of(X509* certificate);
// The same digest in base64, as `openssl ... | base64` prints it.
std::string spki_pin_base64_of(X509* certificate);
// "CN=example.net, O=Example" (RFC 2253 order).
std::string name_text(const X509_NAME* name);
// "2026-12-03T09:40:00Z".
std::string time_text(const ASN1_TIME* time);

}  // namespace taps::detail
