// Events on stderr: one JSON object per line with --json (DESIGN.md 5.3), a short
// human line with -v, nothing otherwise. stdout stays payload only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace taps::apps {

enum class Verbosity { quiet, verbose, json };

// A value that is already JSON (an object of counters, say), written as it is.
struct JsonText {
  std::string text;
};
using EventValue = std::variant<std::string, std::int64_t, double, bool, JsonText>;
using EventFields = std::vector<std::pair<std::string_view, EventValue>>;

class EventLog {
 public:
  EventLog(std::string program, Verbosity verbosity,
           std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now());
  // Writes what is still queued, waiting at most a second for a stuck stderr.
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  bool enabled() const noexcept { return verbosity_ != Verbosity::quiet; }
  Verbosity verbosity() const noexcept { return verbosity_; }

  // One event; `at` is when it happened (default: now).
  void emit(std::string_view event, const EventFields& fields,
            std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now()) const;

  // The JSON line for an event (no newline); public for tests.
  std::string json_line(std::string_view event, const EventFields& fields, double t) const;

  // An error for people: "PROGRAM: MESSAGE" on stderr, always (also when quiet).
  void error(std::string_view message) const;
  void warning(std::string_view message) const;

 private:
  // stderr may be a pipe that nobody reads quickly: a line is written only when stderr
  // can take it without blocking the event loop; otherwise it queues, within a bound
  // past which events (never errors) are dropped and counted.
  void write_line(std::string line, bool droppable) const;
  void flush(int timeout_ms) const;

  std::string program_;
  Verbosity verbosity_;
  std::chrono::steady_clock::time_point start_;
  mutable std::string queued_;
  mutable std::uint64_t dropped_ = 0;
};

}  // namespace taps::apps
