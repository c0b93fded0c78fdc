#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "common/event_log.hpp"

using taps::apps::EventLog;
using taps::apps::Verbosity;

TEST_CASE("event log: bytes that are not UTF-8 are replaced, never thrown on") {
  EventLog log("test", Verbosity::json);
  std::string line;
  REQUIRE_NOTHROW(line = log.json_line("attempt", {{"interface", std::string("\xff")}, {"bad\xc3", std::string("a\xe2\x82")}}, 0.5));
  auto parsed = nlohmann::json::parse(line);
  CHECK(parsed["event"] == "attempt");
  CHECK(parsed["interface"] == "\xef\xbf\xbd");
  CHECK(line.find("\xff") == std::string::npos);
}

TEST_CASE("event log: control characters and quotes are escaped") {
  EventLog log("test", Verbosity::json);
  auto parsed = nlohmann::json::parse(log.json_line("x", {{"detail", std::string("a\"b\n\x01")}}, 0));
  CHECK(parsed["detail"] == "a\"b\n\x01");
}
