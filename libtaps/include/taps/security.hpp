// Security Parameters (RFC 9622 section 6.3). This build carries plain TCP and UDP;
// a Preconnection that asks for a security protocol fails at Initiate/Listen with
// errc::not_supported rather than silently running in plaintext.
#pragma once

#include <string>
#include <vector>

namespace taps {

class SecurityParameters {
 public:
  // NewDisabledSecurityParameters(): no security protocol; plain stacks only.
  static SecurityParameters disabled() { return SecurityParameters{}; }

  // allowedSecurityProtocols, e.g. {"tls1.3"}. Empty = disabled.
  std::vector<std::string> allowed_security_protocols;
  std::vector<std::string> alpn;
  std::string trusted_certificates;  // CA file or directory; empty = the system store

  bool is_disabled() const noexcept { return allowed_security_protocols.empty(); }

  friend bool operator==(const SecurityParameters&, const SecurityParameters&) = default;
};

}  // namespace taps
