#include "taps/connection.hpp"

#include "core/connection_impl.hpp"

namespace taps {

MessageId Connection::send(Message message, MessageContext ctx) {
  return impl_ ? impl_->send(std::move(message), std::move(ctx)) : 0;
}

void Connection::receive(std::size_t min_incomplete, std::size_t max_length) {
  if (impl_) impl_->receive(min_incomplete, max_length);
}

void Connection::close() {
  if (impl_) impl_->close();
}

void Connection::abort() {
  if (impl_) impl_->abort();
}

std::string Connection::remote_endpoint() const { return impl_ ? impl_->remote_endpoint() : std::string(); }
std::string Connection::local_endpoint() const { return impl_ ? impl_->local_endpoint() : std::string(); }
std::string Connection::stack() const { return impl_ ? impl_->stack() : std::string(); }
std::optional<TlsInfo> Connection::tls_info() const { return impl_ ? impl_->tls_info() : std::nullopt; }

}  // namespace taps
