#include "common/event_log.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace taps::apps {
namespace {

std::string json_value(const EventValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return nlohmann::json(x).dump();
        else if constexpr (std::is_same_v<T, JsonText>) return x.text;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, double>) return fmt::format("{:.6f}", x);
        else return std::to_string(x);
      },
      v);
}

std::string text_value(const EventValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, JsonText>) return x.text;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, double>) return fmt::format("{:.3f}", x);
        else return std::to_string(x);
      },
      v);
}

// stderr is unbuffered and these lines are short: one write() each keeps lines whole
// when several processes share the terminal or file.
void write_line(const std::string& line) {
  std::string out = line + "\n";
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

EventLog::EventLog(std::string program, Verbosity verbosity, std::chrono::steady_clock::time_point start)
    : program_(std::move(program)), verbosity_(verbosity), start_(start) {}

std::string EventLog::json_line(std::string_view event, const EventFields& fields, double t) const {
  std::string line = fmt::format("{{\"t\":{:.6f},\"event\":{}", t, nlohmann::json(std::string(event)).dump());
  for (const auto& [key, value] : fields) {
    line += fmt::format(",{}:{}", nlohmann::json(std::string(key)).dump(), json_value(value));
  }
  return line + "}";
}

void EventLog::emit(std::string_view event, const EventFields& fields, std::chrono::steady_clock::time_point at) const {
  if (verbosity_ == Verbosity::quiet) return;
  double t = std::chrono::duration<double>(at - start_).count();
  if (verbosity_ == Verbosity::json) {
    write_line(json_line(event, fields, t));
    return;
  }
  std::string line = fmt::format("{}: [{:.6f}] {}", program_, t, event);
  for (const auto& [key, value] : fields) line += fmt::format(" {}={}", key, text_value(value));
  write_line(line);
}

void EventLog::error(std::string_view message) const { write_line(fmt::format("{}: {}", program_, message)); }

void EventLog::warning(std::string_view message) const {
  write_line(fmt::format("{}: warning: {}", program_, message));
}

}  // namespace taps::apps
