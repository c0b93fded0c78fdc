// libFuzzer target for the JSON event writer (EventLog::json_line, --json): an event
// name and fields whose keys and string values are any bytes, as peer-supplied names,
// addresses and error texts can be. Checks, beyond the sanitizers: the line is one
// line of valid JSON (UTF-8), an object with "t" and "event"; a valid UTF-8 string comes
// back unchanged, and so do integers, booleans and (to the printed precision) doubles.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/event_log.hpp"

namespace {

// Without exceptions, which would cost most of the time here: a bad byte is replaced
// (U+FFFD) by one handler and dropped by the other.
bool valid_utf8(const std::string& s) {
  const nlohmann::json j(s);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) ==
         j.dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore);
}

// A key as the writer emits it: bytes that are not UTF-8 become U+FFFD, so two keys that
// differ in such bytes come out as one.
std::string as_written(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool same(const taps::apps::EventValue& sent, const nlohmann::json& got) {
  if (auto* s = std::get_if<std::string>(&sent)) return !valid_utf8(*s) || got == *s;
  if (auto* i = std::get_if<std::int64_t>(&sent)) return got.is_number_integer() && got.get<std::int64_t>() == *i;
  if (auto* b = std::get_if<bool>(&sent)) return got.is_boolean() && got.get<bool>() == *b;
  if (auto* d = std::get_if<double>(&sent)) {
    return got.is_number() && std::fabs(got.get<double>() - *d) <= 1e-6 + std::fabs(*d) * 1e-12;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string event = in.ConsumeRandomLengthString(64);
  // EventFields holds string_views: the keys live here.
  std::vector<std::string> keys;
  std::vector<taps::apps::EventValue> values;
  while (in.remaining_bytes() > 0 && keys.size() < 16) {
    keys.push_back(in.ConsumeRandomLengthString(32));
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 0: values.emplace_back(in.ConsumeIntegral<std::int64_t>()); break;
      case 1: values.emplace_back(in.ConsumeBool()); break;
      case 2: values.emplace_back(in.ConsumeFloatingPoint<double>()); break;
      default: values.emplace_back(in.ConsumeRandomLengthString(256)); break;
    }
  }
  taps::apps::EventFields fields;
  for (std::size_t i = 0; i < keys.size(); ++i) fields.emplace_back(keys[i], values[i]);

  const taps::apps::EventLog log("fuzz", taps::apps::Verbosity::json);
  const std::string line = log.json_line(event, fields, 1.5);
  if (line.find('\n') != std::string::npos) std::abort();
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    std::abort();
  }
  if (!parsed.is_object() || !parsed.contains("t") || !parsed.contains("event")) std::abort();
  // A key written twice keeps one value in the parsed object: compare keys written once
  // only (the tools never name a field "t" or "event").
  std::multiset<std::string> seen;
  for (const auto& key : keys) seen.insert(as_written(key));
  if (valid_utf8(event) && seen.count(as_written("event")) == 0 && parsed["event"] != event) std::abort();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& key = keys[i];
    if (!valid_utf8(key) || seen.count(as_written(key)) > 1 || key == "t" || key == "event") continue;
    if (!parsed.contains(key) || !same(values[i], parsed[key])) std::abort();
  }
  return 0;
}
