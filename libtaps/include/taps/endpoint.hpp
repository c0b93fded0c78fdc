// Local and Remote Endpoints (RFC 9622 section 6.1): values that name where a
// Connection goes or listens. Nothing is resolved or validated here; Initiate and
// Listen do that and report a precise configuration error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace taps {

class RemoteEndpoint {
 public:
  RemoteEndpoint& with_host_name(std::string name) { host_name_ = std::move(name); return *this; }
  RemoteEndpoint& with_port(std::uint16_t port) { port_ = port; return *this; }
  // A literal IPv4 or IPv6 address; IPv6 may carry a scope ("fe80::1%veth0").
  RemoteEndpoint& with_ip_address(std::string address) { address_ = std::move(address); return *this; }
  RemoteEndpoint& with_interface(std::string name) { interface_ = std::move(name); return *this; }
  // RFC 9622 WithService: a service name ("https") that Initiate turns into the port
  // (/etc/services) when no port is given.
  RemoteEndpoint& with_service(std::string name) { service_ = std::move(name); return *this; }

  const std::optional<std::string>& host_name() const noexcept { return host_name_; }
  const std::optional<std::uint16_t>& port() const noexcept { return port_; }
  const std::optional<std::string>& ip_address() const noexcept { return address_; }
  const std::optional<std::string>& interface_name() const noexcept { return interface_; }
  const std::optional<std::string>& service() const noexcept { return service_; }

  // "host:port", "[v6]:port" or "addr:port": for messages and JSON.
  std::string to_string() const;

  friend bool operator==(const RemoteEndpoint&, const RemoteEndpoint&) = default;

 private:
  std::optional<std::string> host_name_;
  std::optional<std::uint16_t> port_;
  std::optional<std::string> address_;
  std::optional<std::string> interface_;
  std::optional<std::string> service_;
};

class LocalEndpoint {
 public:
  LocalEndpoint& with_host_name(std::string name) { host_name_ = std::move(name); return *this; }
  LocalEndpoint& with_port(std::uint16_t port) { port_ = port; return *this; }
  LocalEndpoint& with_ip_address(std::string address) { address_ = std::move(address); return *this; }
  LocalEndpoint& with_interface(std::string name) { interface_ = std::move(name); return *this; }
  // RFC 9622 WithService: Listen turns it into the port (/etc/services) when no port is given.
  LocalEndpoint& with_service(std::string name) { service_ = std::move(name); return *this; }
  // Multicast receive (RFC 9622 section 6.1.1): Listen joins GROUP, from any source (ASM),
  // or only from SOURCE (SSM); call again with the same group to add sources. Sources
  // may also be given as remote endpoints. Initiate on such a Preconnection fails.
  LocalEndpoint& with_any_source_multicast_group(std::string group) {
    group_ = std::move(group);
    sources_.clear();
    return *this;
  }
  LocalEndpoint& with_single_source_multicast_group(std::string group, std::string source) {
    if (group_ != group) sources_.clear();
    group_ = std::move(group);
    sources_.push_back(std::move(source));
    return *this;
  }

  const std::optional<std::string>& host_name() const noexcept { return host_name_; }
  const std::optional<std::uint16_t>& port() const noexcept { return port_; }
  const std::optional<std::string>& ip_address() const noexcept { return address_; }
  const std::optional<std::string>& interface_name() const noexcept { return interface_; }
  // _taps extension: ASM minus SOURCE (RFC 3376 exclude mode, MCAST_BLOCK_SOURCE).
  LocalEndpoint& with_excluded_multicast_source(std::string source) {
    excluded_.push_back(std::move(source));
    return *this;
  }

  const std::optional<std::string>& multicast_group() const noexcept { return group_; }
  const std::optional<std::string>& service() const noexcept { return service_; }
  const std::vector<std::string>& multicast_sources() const noexcept { return sources_; }
  const std::vector<std::string>& excluded_multicast_sources() const noexcept { return excluded_; }

  std::string to_string() const;

  friend bool operator==(const LocalEndpoint&, const LocalEndpoint&) = default;

 private:
  std::optional<std::string> host_name_;
  std::optional<std::uint16_t> port_;
  std::optional<std::string> address_;
  std::optional<std::string> interface_;
  std::optional<std::string> group_;
  std::vector<std::string> sources_;
  std::optional<std::string> service_;
  std::vector<std::string> excluded_;
};

// "ADDR:PORT", with IPv6 in brackets: the form JSON events and messages use.
std::string format_address_port(const std::string& address, std::uint16_t port);

}  // namespace taps
