// Socket errors as the Error values that events carry.
#pragma once

#include <string>
#include <system_error>

#include "taps/error.hpp"

namespace taps::detail {

// "WHAT: reason", with resets and broken pipes mapped to errc::connection_reset so
// that applications can tell a lost connection from other failures.
Error socket_error(const std::error_code& ec, const std::string& what);

}  // namespace taps::detail
