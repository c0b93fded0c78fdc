// Tying a socket to one of the host's interfaces before it connects.
#pragma once

#include <string>
#include <system_error>

namespace taps::detail {

// Binds the socket `fd` (of family AF_INET or AF_INET6) to interface `name`:
// SO_BINDTODEVICE when the process may, else bind() to an address of that interface
// of the socket's family (an IPv6 link-local one with its scope). The error says why
// neither worked (no such interface, no address of that family).
std::error_code bind_to_interface(int fd, int family, const std::string& name);

}  // namespace taps::detail
