#include "common/exit_codes.hpp"

#include <pthread.h>

#include <csignal>

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

void hold_stop_signals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
}

}  // namespace taps::apps
