#include "taps/connection.hpp"

#include "core/connection_impl.hpp"

namespace taps {

MessageId Connection::send(Message message, MessageContext ctx, bool end_of_message) {
  return impl_ ? impl_->send(std::move(message), std::move(ctx), end_of_message) : 0;
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

Result<MessageId> Connection::send_from(int fd, MessageContext ctx) {
  if (!impl_) return make_error(errc::connection_closed, "send_from on an empty Connection");
  return impl_->send_from(fd, std::move(ctx));
}

std::optional<Error> Connection::receive_into(int fd) {
  if (!impl_) return make_error(errc::connection_closed, "receive_into on an empty Connection");
  return impl_->receive_into(fd);
}

std::uint64_t Connection::bytes_sent_from_descriptors() const { return impl_ ? impl_->bytes_sent_from_descriptors() : 0; }
std::uint64_t Connection::bytes_received_into_descriptor() const {
  return impl_ ? impl_->bytes_received_into_descriptor() : 0;
}

std::string Connection::remote_endpoint() const { return impl_ ? impl_->remote_endpoint() : std::string(); }
std::string Connection::local_endpoint() const { return impl_ ? impl_->local_endpoint() : std::string(); }
std::string Connection::stack() const { return impl_ ? impl_->stack() : std::string(); }
std::optional<TlsInfo> Connection::tls_info() const { return impl_ ? impl_->tls_info() : std::nullopt; }

Connection Connection::clone(ConnectionHandlers handlers, std::optional<FramerSpec> framer,
                             std::optional<TransportProperties> properties) {
  return impl_ ? impl_->clone(std::move(handlers), std::move(framer), std::move(properties)) : Connection();
}

void Connection::close_group() {
  if (impl_) impl_->group()->close_all();
}

void Connection::abort_group() {
  if (impl_) impl_->group()->abort_all();
}

std::uint64_t Connection::group_id() const { return impl_ ? impl_->group()->id() : 0; }
std::optional<std::int64_t> Connection::stream_id() const { return impl_ ? impl_->stream_id() : std::nullopt; }
std::optional<TransportStatistics> Connection::statistics() const {
  return impl_ ? impl_->statistics() : std::nullopt;
}

std::optional<Error> Connection::set_property(std::string_view name, PropertyValue value) {
  if (!impl_) return make_error(errc::invalid_configuration, "set_property on an empty Connection handle");
  return impl_->set_property(name, value);
}

std::vector<Property> Connection::get_properties() const {
  return impl_ ? impl_->properties() : std::vector<Property>{};
}

}  // namespace taps
