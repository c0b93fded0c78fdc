// Errors of the TAPS engine: an enum with its own std::error_category, the
// Error value that events carry, and Result<T> for calls that fail at once.
#pragma once

#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace taps {

enum class errc {
  invalid_configuration = 1,  // a property, endpoint or option has a bad value
  unsatisfiable_properties,   // no protocol stack satisfies the selection properties
  not_supported,              // valid in RFC 9622, not implemented by this engine
  name_resolution_failed,     // a host name gave no usable address
  establishment_failed,       // every candidate failed
  establishment_timeout,      // Initiate's timeout passed before any candidate was ready
  connection_reset,           // the peer aborted the connection
  connection_aborted,         // the application called abort()
  connection_closed,          // an action on a connection that is closing or closed
  message_too_large,          // a message is larger than the stack can carry
  receive_only,               // send on a receive-only connection
  send_only,                  // receive on a send-only connection
  listener_failed,            // the listener could not bind or lost its socket
  framing_error,              // a framer rejected what the peer sent
  clone_failed,               // Clone refused: groupConnLimit reached, or this Connection cannot be cloned
};

const std::error_category& taps_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), taps_category()};
}

// What every error event carries: a code to branch on and a one-line detail
// for people ("connect to 192.0.2.1:80: Connection refused").
struct Error {
  std::error_code code;
  std::string detail;

  // The detail when there is one, else the code's message.
  std::string message() const { return detail.empty() ? code.message() : detail; }
};

inline Error make_error(errc e, std::string detail) { return {make_error_code(e), std::move(detail)}; }

// The value of a call that either succeeds with a T or fails at once with an Error
// (configuration errors; network failures come only as events).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  explicit operator bool() const noexcept { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace taps

template <>
struct std::is_error_code_enum<taps::errc> : std::true_type {};
