// The OpenSSL objects behind a taps::EphemeralIdentity, for the TLS context that
// presents it.
#pragma once

#include <string>

#include "security/openssl.hpp"
#include "taps/security.hpp"

struct taps::EphemeralIdentity::State {
  detail::X509Ptr certificate;
  detail::EvpPkeyPtr key;
  std::string pin, pin_base64, subject, not_after;
};

namespace taps::detail {

struct EphemeralIdentityAccess {
  static const EphemeralIdentity::State& state(const EphemeralIdentity& identity) { return *identity.state_; }
};

}  // namespace taps::detail
