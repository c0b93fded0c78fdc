// ConnectionImpl's group and its connection properties (RFC 9622 sections 7.4 and 8).
#include "core/connection_impl.hpp"

namespace taps::detail {
namespace {

PropertyValue size_or_null(std::optional<std::size_t> n) {
  if (!n) return std::monostate{};
  return static_cast<std::int64_t>(*n);
}

std::string_view state_name(ConnectionState s) {
  switch (s) {
    case ConnectionState::establishing: return "establishing";
    case ConnectionState::established: return "established";
    case ConnectionState::closing: return "closing";
    case ConnectionState::closed: return "closed";
  }
  return "closed";
}

}  // namespace

void ConnectionImpl::join(std::shared_ptr<ConnectionGroup> group) {
  group_ = std::move(group);
  conn_priority_ = group_->properties().conn_priority;
  group_->add(shared_from_this());
  apply_properties();
}

void ConnectionImpl::apply_properties() {
  if (transport_ && group_) transport_->apply_properties(group_->properties(), group_->keep_alive());
}

Connection ConnectionImpl::clone(ConnectionHandlers handlers, std::optional<FramerSpec> framer,
                                 std::optional<TransportProperties> properties) {
  auto made = group_->clone(*this, std::move(handlers), std::move(framer), std::move(properties));
  if (made) return *made;
  post_event([error = made.error()](ConnectionHandlers& h) {
    if (h.clone_error) h.clone_error(error);
  });
  return Connection();
}

std::shared_ptr<ConnectionImpl> ConnectionImpl::sibling(std::shared_ptr<Transport> stream,
                                                        ConnectionHandlers handlers,
                                                        std::optional<FramerSpec> framer) {
  auto made = std::make_shared<ConnectionImpl>(io_, std::move(handlers), is_stream_, stream->stack());
  made->set_framers(framer ? std::vector<FramerSpec>{std::move(*framer)} : framer_specs_);
  made->join(group_);
  made->adopt(std::move(stream));
  return made;
}

// The new Connection reads at once; the application gets it in stream_received, posted,
// as a Listener's connection_received.
bool ConnectionImpl::take_peer_stream(const std::shared_ptr<Transport>& stream) {
  if (!handlers_.stream_received || terminal_posted_) return false;
  auto made = sibling(stream, {}, std::nullopt);
  asio::post(io_, [self = shared_from_this(), made] {
    if (self->terminal_delivered_ || !self->handlers_.stream_received) {
      made->abort();
      return;
    }
    made->established_by_listener(self->handlers_.stream_received(Connection(made)));
  });
  return true;
}

// connPriority is the one property a Connection does not share with its group.
std::optional<Error> ConnectionImpl::set_property(std::string_view name, const PropertyValue& value) {
  if (name != "connPriority") {
    if (auto e = group_->set(name, value)) return e;
    return std::nullopt;
  }
  ConnectionProperties checked;
  if (auto e = checked.set(name, value)) return e;
  conn_priority_ = checked.conn_priority;
  return std::nullopt;
}

std::vector<Property> ConnectionImpl::properties() const {
  MessageLimits limits;
  if (transport_) limits = transport_->message_limits();
  auto direction = group_->transport_properties().direction();
  bool sending = direction != Direction::unidirectional_receive;
  bool receiving = direction != Direction::unidirectional_send && !send_only_reason_;
  bool open = state_ == ConnectionState::established || state_ == ConnectionState::establishing;
  std::vector<Property> out;
  for (const auto& row : ConnectionProperties::table()) {
    Property p{std::string(row.name), std::monostate{}, row.read_only};
    if (row.name == "connPriority") p.value = conn_priority_;
    else if (auto v = group_->properties().get(row.name)) p.value = std::move(*v);
    else if (row.name == "connState") p.value = std::string(state_name(state_));
    else if (row.name == "canSend") p.value = sending && open && !final_queued_ && !close_requested_;
    else if (row.name == "canReceive") p.value = receiving && state_ != ConnectionState::closed && !end_delivered_;
    else if (row.name == "singularTransmissionMsgMaxLen") p.value = size_or_null(limits.singular);
    else if (row.name == "sendMsgMaxLen") p.value = size_or_null(limits.send);
    else if (row.name == "recvMsgMaxLen") p.value = size_or_null(limits.receive);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace taps::detail
