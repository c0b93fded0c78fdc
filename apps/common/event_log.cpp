#include "common/event_log.hpp"

#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

namespace taps::apps {
namespace {

// Field values come from the network and the command line (interface names, peer
// certificate names, error texts): bytes that are not UTF-8 become U+FFFD, never an
// exception on the event loop.
std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_value(const EventValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return json_string(x);
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

constexpr std::size_t queue_limit = 1 << 20;

}  // namespace

EventLog::~EventLog() {
  if (dropped_ > 0) {
    queued_ += fmt::format("{}: warning: {} events were dropped: stderr did not keep up\n", program_, dropped_);
  }
  flush(1000);
}

// Writes queued lines while stderr takes them without blocking: poll() says a pipe has
// room for at least PIPE_BUF bytes, so a line of up to that size goes out whole.
void EventLog::flush(int timeout_ms) const {
  while (!queued_.empty()) {
    pollfd p{STDERR_FILENO, POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) <= 0 || (p.revents & (POLLERR | POLLNVAL))) return;
    if (p.revents & POLLHUP) {
      queued_.clear();
      return;
    }
    // Whole lines that fit in PIPE_BUF; a longer line goes out alone.
    std::size_t window = std::min<std::size_t>(queued_.size(), PIPE_BUF);
    auto last = queued_.rfind('\n', window - 1);
    std::size_t chunk = last != std::string::npos ? last + 1 : queued_.find('\n') + 1;
    ssize_t n = ::write(STDERR_FILENO, queued_.data(), chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      queued_.clear();
      return;
    }
    queued_.erase(0, static_cast<std::size_t>(n));
  }
}

void EventLog::write_line(std::string line, bool droppable) const {
  if (droppable && queued_.size() + line.size() > queue_limit) {
    ++dropped_;
    return;
  }
  queued_ += line;
  queued_ += '\n';
  flush(0);
}


EventLog::EventLog(std::string program, Verbosity verbosity, std::chrono::steady_clock::time_point start)
    : program_(std::move(program)), verbosity_(verbosity), start_(start) {}

std::string EventLog::json_line(std::string_view event, const EventFields& fields, double t) const {
  std::string line = fmt::format("{{\"t\":{:.6f},\"event\":{}", t, json_string(event));
  for (const auto& [key, value] : fields) {
    line += fmt::format(",{}:{}", json_string(key), json_value(value));
  }
  return line + "}";
}

void EventLog::emit(std::string_view event, const EventFields& fields, std::chrono::steady_clock::time_point at) const {
  if (verbosity_ == Verbosity::quiet) return;
  double t = std::chrono::duration<double>(at - start_).count();
  if (verbosity_ == Verbosity::json) {
    write_line(json_line(event, fields, t), true);
    return;
  }
  std::string line = fmt::format("{}: [{:.6f}] {}", program_, t, event);
  for (const auto& [key, value] : fields) line += fmt::format(" {}={}", key, text_value(value));
  write_line(std::move(line), true);
}

void EventLog::error(std::string_view message) const { write_line(fmt::format("{}: {}", program_, message), false); }

void EventLog::warning(std::string_view message) const {
  write_line(fmt::format("{}: warning: {}", program_, message), false);
}

}  // namespace taps::apps
