#include "taps/error.hpp"

namespace taps {
namespace {

class TapsCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "taps"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_configuration: return "invalid configuration";
      case errc::unsatisfiable_properties: return "no protocol stack satisfies the selection properties";
      case errc::not_supported: return "not supported";
      case errc::name_resolution_failed: return "name resolution failed";
      case errc::establishment_failed: return "establishment failed";
      case errc::establishment_timeout: return "establishment timed out";
      case errc::connection_reset: return "connection reset by peer";
      case errc::connection_aborted: return "connection aborted";
      case errc::connection_closed: return "connection is closed";
      case errc::message_too_large: return "message too large";
      case errc::receive_only: return "connection is receive-only";
      case errc::send_only: return "connection is send-only";
      case errc::listener_failed: return "listener failed";
      case errc::framing_error: return "framing error";
      case errc::clone_failed: return "clone failed";
    }
    return "unknown taps error";
  }
};

}  // namespace

const std::error_category& taps_category() noexcept {
  static const TapsCategory category;
  return category;
}

}  // namespace taps
