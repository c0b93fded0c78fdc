#include "taps/endpoint.hpp"

#include <string>

namespace taps {
namespace {

template <class Endpoint>
std::string describe(const Endpoint& e) {
  std::string host = e.ip_address() ? *e.ip_address() : e.host_name() ? *e.host_name() : "*";
  if (!e.port()) return host;
  return format_address_port(host, *e.port());
}

}  // namespace

std::string format_address_port(const std::string& address, std::uint16_t port) {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

std::string RemoteEndpoint::to_string() const { return describe(*this); }
std::string LocalEndpoint::to_string() const { return describe(*this); }

}  // namespace taps
