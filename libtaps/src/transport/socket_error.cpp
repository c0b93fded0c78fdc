#include "transport/socket_error.hpp"

#include <asio/error.hpp>

namespace taps::detail {

Error socket_error(const std::error_code& ec, const std::string& what) {
  std::string detail = what.empty() ? ec.message() : what + ": " + ec.message();
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    return {make_error_code(errc::connection_reset), detail};
  }
  return {ec, detail};
}

}  // namespace taps::detail
