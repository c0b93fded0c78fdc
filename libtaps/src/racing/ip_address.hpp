// An IP address as the candidate tree sees it: a family and a canonical text, compared
// and printed, never used for I/O. It keeps Asio out of the pure ordering; the racer
// converts at the edge (core/racer.cpp).
#pragma once

#include <string>
#include <utility>

namespace taps::detail {

class IpAddress {
 public:
  // `text` is an address as the resolver prints it ("2001:db8::1", "192.0.2.1",
  // "fe80::1%eth0"): canonical, so equal addresses have equal texts.
  explicit IpAddress(std::string text) : text_(std::move(text)), v6_(text_.find(':') != std::string::npos) {}

  bool is_v6() const noexcept { return v6_; }
  bool is_v4() const noexcept { return !v6_; }
  const std::string& to_string() const noexcept { return text_; }

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::string text_;
  bool v6_;
};

}  // namespace taps::detail
