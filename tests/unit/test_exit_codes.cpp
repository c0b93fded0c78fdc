#include <doctest/doctest.h>

#include "common/exit_codes.hpp"
#include "taps/error.hpp"

using namespace taps::apps;

TEST_CASE("establishment errors map to the exit codes of DESIGN.md section 5") {
  struct Row {
    std::error_code ec;
    int code;
  };
  const Row rows[] = {
      {taps::errc::invalid_configuration, exit_usage},
      {taps::errc::unsatisfiable_properties, exit_usage},
      {taps::errc::not_supported, exit_usage},
      {taps::errc::name_resolution_failed, exit_establishment},
      {taps::errc::establishment_failed, exit_establishment},
      {taps::errc::listener_failed, exit_establishment},
      {taps::errc::establishment_timeout, exit_timeout},
      {std::make_error_code(std::errc::connection_refused), exit_establishment},
  };
  for (const auto& row : rows) {
    CAPTURE(row.ec.message());
    CHECK(exit_code_for_establishment(row.ec) == row.code);
  }
}

TEST_CASE("errors on an open connection map to 3 timeouts to 4") {
  CHECK(exit_code_for_connection(taps::errc::connection_reset) == exit_connection);
  CHECK(exit_code_for_connection(taps::errc::message_too_large) == exit_connection);
  CHECK(exit_code_for_connection(std::make_error_code(std::errc::broken_pipe)) == exit_connection);
  CHECK(exit_code_for_connection(std::make_error_code(std::errc::timed_out)) == exit_timeout);
  CHECK(exit_code_for_connection(taps::errc::establishment_timeout) == exit_timeout);
}

TEST_CASE("the exit codes keep their documented values") {
  CHECK(exit_ok == 0);
  CHECK(exit_usage == 1);
  CHECK(exit_establishment == 2);
  CHECK(exit_connection == 3);
  CHECK(exit_timeout == 4);
  CHECK(exit_integrity == 5);
  CHECK(exit_no_multicast == 6);
}

TEST_CASE("taps errors have their own category and readable messages") {
  std::error_code ec = taps::errc::establishment_failed;
  CHECK(std::string(ec.category().name()) == "taps");
  CHECK(ec.message() == "establishment failed");
  CHECK(taps::Error{ec, ""}.message() == "establishment failed");
  CHECK(taps::Error{ec, "connect to 1.2.3.4:5: refused"}.message() == "connect to 1.2.3.4:5: refused");
}
