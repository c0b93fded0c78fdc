#include "core/multicast_listener.hpp"

#include <asio/post.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "core/connection_impl.hpp"
#include "transport/address.hpp"
#include "transport/multicast_receive_transport.hpp"
#include "transport/multicast_receiver.hpp"
#include "transport/multicast_socket.hpp"

namespace taps::detail {

MulticastListener::MulticastListener(asio::io_context& io, ListenerHandlers handlers, MulticastSpec spec)
    : io_(io), handlers_(std::move(handlers)), spec_(std::move(spec)) {}

// The application let go of the Listener without stopping it, and no Connection holds it.
MulticastListener::~MulticastListener() {
  if (receiver_) receiver_->close();
}

void MulticastListener::start() {
  asio::post(io_, [self = shared_from_this()] {
    if (!self->stopped_) self->open();
  });
}

void MulticastListener::open() {
  std::optional<unsigned> chosen;
  if (spec_.interface_name) {
    chosen = interface_index(*spec_.interface_name);
    if (!chosen) {
      fail(make_error(errc::establishment_failed, fmt::format("interface '{}' does not exist", *spec_.interface_name)));
      return;
    }
  }
  // A link-scope group exists once per link: the socket binds to the group on that
  // link (bind() refuses it without the zone: "Invalid argument").
  auto bind_group = spec_.group;
  if (bind_group.is_v6() && chosen &&
      (bind_group.to_v6().is_multicast_link_local() || bind_group.to_v6().is_multicast_node_local())) {
    auto v6 = bind_group.to_v6();
    v6.scope_id(*chosen);
    bind_group = v6;
  }
  std::string warning;
  auto socket = open_receive_socket(io_, bind_group, spec_.port, spec_.receive_buffer, warning);
  if (!socket) {
    fail(socket.error());
    return;
  }
  std::error_code ec;
  local_ = endpoint_string(socket->local_endpoint(ec));
  std::vector<Membership> memberships;
  std::vector<MulticastJoin> joins;
  std::vector<std::optional<asio::ip::address>> sources(spec_.sources.begin(), spec_.sources.end());
  if (sources.empty()) sources.emplace_back();
  for (const auto& source : sources) {
    // SSM: the interface that routes toward the source is where its traffic arrives.
    unsigned index = chosen ? *chosen : interface_toward(source ? *source : spec_.group);
    auto membership = Membership::join(*socket, spec_.group, source, index);
    if (!membership) {
      fail(membership.error());
      return;
    }
    MulticastJoin join{spec_.group.to_string(), source ? source->to_string() : std::string(), interface_name(index), {}};
    for (const auto& excluded : spec_.excluded) {
      if (auto error = membership->block(excluded)) {
        fail(*error);
        return;
      }
      join.excluded_sources.push_back(excluded.to_string());
    }
    memberships.push_back(std::move(*membership));
    joins.push_back(std::move(join));
  }
  receiver_ = std::make_shared<MulticastReceiver>(std::move(*socket), std::move(memberships));
  std::weak_ptr<MulticastListener> weak = shared_from_this();
  receiver_->start(
      [weak](const Datagram& d) {
        auto self = weak.lock();
        return self ? self->on_datagram(d) : true;
      },
      [weak](const asio::ip::udp::endpoint& sender) {
        auto self = weak.lock();
        if (!self) return;
        ++self->truncated_;
        auto error = make_error(errc::message_too_large,
                                fmt::format("a datagram from {} did not fit the receive buffer: dropped ({} so far)",
                                            endpoint_string(sender), self->truncated_));
        asio::post(self->io_, [self, error] {
          if (self->handlers_.soft_error) self->handlers_.soft_error(error);
        });
      },
      [weak](Error error) {
        if (auto self = weak.lock()) {
          asio::post(self->io_, [self, error] {
            if (self->handlers_.soft_error) self->handlers_.soft_error(error);
          });
        }
      });
  asio::post(io_, [self = shared_from_this(), joins = std::move(joins), warning = std::move(warning)] {
    if (self->stopped_) return;
    auto& h = self->handlers_;
    if (h.listening) h.listening({{self->local_, "udp"}});
    if (!warning.empty() && h.soft_error) h.soft_error({std::make_error_code(std::errc::no_buffer_space), warning});
    for (const auto& join : joins) {
      if (h.joined) h.joined(join);
    }
  });
}

bool MulticastListener::on_datagram(const Datagram& d) {
  // The kernel filters sources for an SSM join; this also holds if another socket on
  // the host joined the group for any source.
  if (!spec_.sources.empty() &&
      std::find(spec_.sources.begin(), spec_.sources.end(), d.sender.address()) == spec_.sources.end()) {
    return true;
  }
  if (!spec_.excluded.empty() &&
      std::find(spec_.excluded.begin(), spec_.excluded.end(), d.sender.address()) != spec_.excluded.end()) {
    return true;
  }
  std::shared_ptr<MulticastReceiveTransport> transport;
  if (d.sender == last_sender_) transport = last_transport_.lock();
  if (!transport) {
    auto it = senders_.find(d.sender);
    if (it != senders_.end()) transport = it->second.lock();
    if (!transport) transport = new_sender(d.sender);
    if (!transport) return true;
    last_sender_ = d.sender;
    last_transport_ = transport;
  }
  MessageContext ctx = context_for(d.interface_index);
  ctx.remote_endpoint = transport->remote_endpoint();
  ctx.local_endpoint = local_string(d.destination);
  ctx.received_at_ns = d.received_at_ns;
  ctx.received_hop_limit = d.hop_limit;
  return transport->deliver(Message(std::vector<std::uint8_t>(d.data, d.data + d.size)), std::move(ctx));
}

std::shared_ptr<MulticastReceiveTransport> MulticastListener::new_sender(const asio::ip::udp::endpoint& sender) {
  if (stopped_ || !handlers_.connection_received) return nullptr;
  if (limit_) {
    if (*limit_ == 0) return nullptr;
    --*limit_;
  }
  auto self = shared_from_this();
  auto transport = std::make_shared<MulticastReceiveTransport>(endpoint_string(sender), local_,
                                                               [self, sender] { self->forget(sender); });
  std::weak_ptr<MulticastListener> weak = self;
  transport->on_room = [weak] {
    if (auto listener = weak.lock(); listener && listener->receiver_) listener->receiver_->resume();
  };
  auto connection = std::make_shared<ConnectionImpl>(io_, ConnectionHandlers{}, false, transport->stack());
  connection->set_framers(spec_.framers);
  TransportProperties receive_only;
  receive_only.set_direction(Direction::unidirectional_receive);
  connection->join(std::make_shared<ConnectionGroup>(std::move(receive_only)));
  connection->adopt(transport);
  senders_[sender] = transport;
  // Datagrams that arrive before the application has the Connection wait in its queue.
  asio::post(io_, [self, connection, sender] {
    if (!self->handlers_.connection_received) {
      self->forget(sender);
      return;
    }
    connection->established_by_listener(self->handlers_.connection_received(Connection(connection)));
  });
  return transport;
}

const std::string& MulticastListener::local_string(const asio::ip::address& destination) {
  if (destination == spec_.group || destination.is_unspecified()) return local_;
  other_local_ = to_string(destination, spec_.port);
  return other_local_;
}

const MessageContext& MulticastListener::context_for(unsigned interface_index) {
  auto it = contexts_.find(interface_index);
  if (it == contexts_.end()) {
    it = contexts_.emplace(interface_index, MessageContext()).first;
    it->second.set("_taps.multicast", "interface", interface_name(interface_index));
  }
  return it->second;
}

void MulticastListener::forget(const asio::ip::udp::endpoint& sender) {
  senders_.erase(sender);
  if (sender == last_sender_) last_transport_.reset();
  maybe_close();
}

void MulticastListener::maybe_close() {
  if (!stopped_) return;
  std::erase_if(senders_, [](const auto& entry) { return entry.second.expired(); });
  if (!senders_.empty() || !receiver_) return;
  receiver_->close();
  receiver_.reset();
}

void MulticastListener::stop() {
  if (stopped_) return;
  stopped_ = true;
  maybe_close();
  asio::post(io_, [self = shared_from_this()] {
    auto h = std::move(self->handlers_);
    self->handlers_ = {};
    if (h.stopped) h.stopped();
  });
}

void MulticastListener::fail(Error error) {
  stopped_ = true;
  if (receiver_) receiver_->close();
  receiver_.reset();
  asio::post(io_, [self = shared_from_this(), error = std::move(error)] {
    auto h = std::move(self->handlers_);
    self->handlers_ = {};
    if (h.establishment_error) h.establishment_error(error);
  });
}

}  // namespace taps::detail
