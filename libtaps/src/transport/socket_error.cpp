#include "transport/socket_error.hpp"

#include <cerrno>

namespace taps::detail {

Error socket_error(const std::error_code& ec, const std::string& what) {
  std::string detail = what.empty() ? ec.message() : what + ": " + ec.message();
  if (ec.category() == std::system_category() && (ec.value() == ECONNRESET || ec.value() == EPIPE)) {
    return {make_error_code(errc::connection_reset), detail};
  }
  return {ec, detail};
}

}  // namespace taps::detail
