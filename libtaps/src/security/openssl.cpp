#include "security/openssl.hpp"

#include <openssl/err.h>

namespace taps::detail {

// The last error is the one closest to the cause the application sees (earlier entries
// are the inner steps, e.g. "system lib" before "no such file").
std::string take_openssl_error(const std::string& fallback) {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return fallback;
  const char* reason = ERR_reason_error_string(last);
  if (reason) return reason;
  char buffer[256];
  ERR_error_string_n(last, buffer, sizeof buffer);
  return buffer;
}

}  // namespace taps::detail
