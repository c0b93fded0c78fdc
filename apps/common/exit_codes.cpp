#include "common/exit_codes.hpp"

#include "taps/error.hpp"

namespace taps::apps {

int exit_code_for_establishment(const std::error_code& ec) {
  if (ec == taps::errc::invalid_configuration || ec == taps::errc::unsatisfiable_properties ||
      ec == taps::errc::not_supported) {
    return exit_usage;
  }
  if (ec == taps::errc::establishment_timeout) return exit_timeout;
  return exit_establishment;
}

int exit_code_for_connection(const std::error_code& ec) {
  if (ec == taps::errc::establishment_timeout || ec == std::errc::timed_out) return exit_timeout;
  return exit_connection;
}

}  // namespace taps::apps
