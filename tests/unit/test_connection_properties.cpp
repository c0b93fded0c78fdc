// The connection property table (RFC 9622 section 8): names, types, read-only
// properties, errors that name the property, and the JSON config round trip.
#include <doctest/doctest.h>

#include <algorithm>

#include "taps/config.hpp"
#include "taps/connection_properties.hpp"
#include "taps/preconnection.hpp"

using taps::ConnectionProperties;
using taps::PropertyValue;

namespace {

bool has(const std::vector<taps::PropertyInfo>& table, std::string_view name, bool read_only) {
  return std::ranges::any_of(table, [&](const auto& row) { return row.name == name && row.read_only == read_only; });
}

std::string set_error(ConnectionProperties& p, std::string_view name, PropertyValue v) {
  auto e = p.set(name, v);
  return e ? e->detail : std::string();
}

}  // namespace

TEST_CASE("the table holds every RFC 9622 connection property, read-only ones marked") {
  const auto& table = ConnectionProperties::table();
  for (auto name : {"connPriority", "connTimeout", "keepAliveTimeout", "connScheduler", "connCapacityProfile",
                    "minSendRate", "maxSendRate", "groupConnLimit", "isolateSession", "tcp.userTimeoutValue",
                    "tcp.userTimeoutEnabled", "tcp.userTimeoutChangeable"}) {
    CAPTURE(name);
    CHECK(has(table, name, false));
  }
  for (auto name : {"connState", "canSend", "canReceive", "singularTransmissionMsgMaxLen", "sendMsgMaxLen",
                    "recvMsgMaxLen"}) {
    CAPTURE(name);
    CHECK(has(table, name, true));
  }
  CHECK(table.size() == 18);
  CHECK(ConnectionProperties::settable_names().size() == 12);
}

TEST_CASE("defaults are the RFC's, read back by name with their types") {
  ConnectionProperties p;
  CHECK(p.get("connPriority") == PropertyValue(std::int64_t{100}));
  CHECK(p.get("connTimeout") == PropertyValue(std::monostate{}));
  CHECK(p.get("keepAliveTimeout") == PropertyValue(std::monostate{}));
  CHECK(p.get("connScheduler") == PropertyValue(std::string("weightedFairQueueing")));
  CHECK(p.get("connCapacityProfile") == PropertyValue(std::string("default")));
  CHECK(p.get("minSendRate") == PropertyValue(std::monostate{}));
  CHECK(p.get("maxSendRate") == PropertyValue(std::monostate{}));
  CHECK(p.get("groupConnLimit") == PropertyValue(std::monostate{}));
  CHECK(p.get("isolateSession") == PropertyValue(false));
  CHECK(p.get("tcp.userTimeoutValue") == PropertyValue(std::monostate{}));
  CHECK(p.get("tcp.userTimeoutEnabled") == PropertyValue(false));
  CHECK(p.get("tcp.userTimeoutChangeable") == PropertyValue(true));
  CHECK_FALSE(p.get("connState"));  // read-only: the Connection reports it
  CHECK_FALSE(p.get("nope"));
}

TEST_CASE("set stores typed values and null turns a limit off again") {
  ConnectionProperties p;
  CHECK_FALSE(p.set("connTimeout", std::int64_t{2500}));
  CHECK(p.conn_timeout == std::chrono::milliseconds(2500));
  CHECK_FALSE(p.set("keepAliveTimeout", std::int64_t{7}));
  CHECK(p.keep_alive_timeout == std::chrono::seconds(7));
  CHECK_FALSE(p.set("connCapacityProfile", std::string("scavenger")));
  CHECK(p.conn_capacity_profile == taps::CapacityProfile::scavenger);
  CHECK_FALSE(p.set("connScheduler", std::string("roundRobin")));
  CHECK(p.conn_scheduler == taps::ConnScheduler::round_robin);
  CHECK_FALSE(p.set("maxSendRate", std::int64_t{8000000}));
  CHECK(p.max_send_rate == 8000000);
  CHECK_FALSE(p.set("groupConnLimit", std::int64_t{3}));
  CHECK(p.group_conn_limit == 3);
  CHECK_FALSE(p.set("isolateSession", true));
  CHECK(p.isolate_session);
  CHECK_FALSE(p.set("tcp.userTimeoutValue", std::int64_t{9}));
  CHECK(p.user_timeout() == std::chrono::milliseconds(9000));  // wins over connTimeout
  CHECK_FALSE(p.set("tcp.userTimeoutValue", std::monostate{}));
  CHECK(p.user_timeout() == std::chrono::milliseconds(2500));
  CHECK_FALSE(p.set("maxSendRate", std::monostate{}));
  CHECK_FALSE(p.max_send_rate);
  CHECK_FALSE(p.set("tcp.userTimeoutEnabled", false));
}

TEST_CASE("errors name the property: unknown, read-only, wrong type, out of range, unsupported") {
  ConnectionProperties p;
  const auto before = p;
  struct Case {
    std::string_view name;
    PropertyValue value;
    std::string detail;
  };
  const Case cases[] = {
      {"connTimeOut", std::int64_t{1}, "unknown connection property 'connTimeOut' (did you mean connTimeout?)"},
      {"warpSpeed", true, "unknown connection property 'warpSpeed'"},
      {"connState", std::string("closed"), "connState is read-only"},
      {"canSend", false, "canSend is read-only"},
      {"connPriority", std::int64_t{-1}, "connPriority: expected an integer of at least 0, got -1"},
      {"connPriority", std::monostate{}, "connPriority: expected an integer of at least 0, got null"},
      {"connTimeout", std::int64_t{0}, "connTimeout: expected milliseconds (1-2147483647) or null for none, got 0"},
      {"connTimeout", std::string("5s"), "connTimeout: expected milliseconds (1-2147483647) or null for none, got \"5s\""},
      {"keepAliveTimeout", std::int64_t{40000}, "keepAliveTimeout: expected seconds (1-32767) or null for none, got 40000"},
      {"connCapacityProfile", std::string("fast"),
       "connCapacityProfile: expected one of default, scavenger, lowLatencyInteractive, lowLatencyNonInteractive, "
       "constantRateStreaming, capacitySeeking, got \"fast\""},
      {"connScheduler", std::int64_t{1}, "connScheduler: expected one of weightedFairQueueing, firstComeFirstServed, "
                                         "roundRobin, roundRobinPerPacket, priority, fairCapacity, got 1"},
      {"groupConnLimit", std::int64_t{0}, "groupConnLimit: expected an integer of at least 1 or null for unlimited, got 0"},
      {"isolateSession", std::int64_t{1}, "isolateSession: expected true or false, got 1"},
      {"maxSendRate", std::int64_t{7}, "maxSendRate: expected bits per second (at least 8) or null for unlimited, got 7"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(set_error(p, c.name, c.value) == c.detail);
    CHECK(p == before);
  }
  auto e = p.set("tcp.userTimeoutEnabled", true);
  REQUIRE(e);
  CHECK(e->code == taps::errc::not_supported);
  CHECK(e->detail.starts_with("tcp.userTimeoutEnabled: "));
  CHECK(p == before);
}

TEST_CASE("capacity profiles map to the DSCPs of RFC 4594 and RFC 8622") {
  CHECK(taps::dscp_for(taps::CapacityProfile::default_profile) == 0);
  CHECK(taps::dscp_for(taps::CapacityProfile::scavenger) == 1);
  CHECK(taps::dscp_for(taps::CapacityProfile::low_latency_interactive) == 46);
  CHECK(taps::dscp_for(taps::CapacityProfile::low_latency_non_interactive) == 18);
  CHECK(taps::dscp_for(taps::CapacityProfile::constant_rate_streaming) == 26);
  CHECK(taps::dscp_for(taps::CapacityProfile::capacity_seeking) == 10);
}

TEST_CASE("the JSON config accepts every settable connection property and round-trips it") {
  auto parsed = taps::preconnection_from_json(R"({"transportProperties": {
      "connPriority": 7, "connTimeout": 1500, "keepAliveTimeout": 20, "connScheduler": "priority",
      "connCapacityProfile": "lowLatencyInteractive", "minSendRate": 1000, "maxSendRate": 80000000,
      "groupConnLimit": 4, "isolateSession": true, "tcp.userTimeoutValue": 30,
      "tcp.userTimeoutEnabled": false, "tcp.userTimeoutChangeable": false}})");
  REQUIRE(parsed);
  const auto& c = parsed->transport_properties().connection;
  CHECK(c.conn_priority == 7);
  CHECK(c.conn_timeout == std::chrono::milliseconds(1500));
  CHECK(c.keep_alive_timeout == std::chrono::seconds(20));
  CHECK(c.conn_scheduler == taps::ConnScheduler::priority);
  CHECK(c.conn_capacity_profile == taps::CapacityProfile::low_latency_interactive);
  CHECK(c.min_send_rate == 1000);
  CHECK(c.max_send_rate == 80000000);
  CHECK(c.group_conn_limit == 4);
  CHECK(c.isolate_session);
  CHECK(c.tcp_user_timeout_value == std::chrono::seconds(30));
  CHECK_FALSE(c.tcp_user_timeout_changeable);
  auto again = taps::preconnection_from_json(taps::preconnection_to_json(*parsed));
  REQUIRE(again);
  CHECK(*again == *parsed);
}

TEST_CASE("config errors on connection properties carry the JSON path") {
  struct Case {
    const char* json;
    std::string detail;
  };
  const Case cases[] = {
      {R"({"transportProperties": {"connState": "closed"}})", "$.transportProperties.connState: connState is read-only"},
      {R"({"transportProperties": {"keepAliveTimeout": 0}})",
       "$.transportProperties.keepAliveTimeout: expected seconds (1-32767) or null for none, got 0"},
      {R"({"transportProperties": {"connCapacityProfile": ["ef"]}})",
       "$.transportProperties.connCapacityProfile: expected a boolean, an integer, a string or null, got array"},
      {R"({"transportProperties": {"tcp.userTimeoutEnabled": true}})",
       "$.transportProperties[\"tcp.userTimeoutEnabled\"]: Linux TCP cannot send the User Timeout Option (RFC 5482); "
       "tcp.userTimeoutValue sets the local user timeout"},
      {R"({"transportProperties": {"maxSendRate": 1.5}})",
       "$.transportProperties.maxSendRate: expected a boolean, an integer, a string or null, got number"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    auto r = taps::preconnection_from_json(c.json);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail == c.detail);
  }
}
