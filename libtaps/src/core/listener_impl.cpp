#include "core/listener_impl.hpp"

#include <asio/error.hpp>
#include <asio/post.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "core/connection_impl.hpp"
#include "core/name_resolver.hpp"
#include "core/tls_sniff.hpp"
#include "security/tls_handshake.hpp"
#include "transport/address.hpp"
#include "transport/protocol.hpp"
#include "transport/socket_options.hpp"
#include "transport/stream_session.hpp"
#include "transport/tcp_transport.hpp"
#include "transport/tls_transport.hpp"
#include "transport/udp_transport.hpp"
#include "transport/udp_demux.hpp"

namespace taps::detail {
namespace {

constexpr int listen_backlog = 1024;
// A client that connects and never completes its handshake must not hold a slot forever.
constexpr std::chrono::seconds server_handshake_timeout{10};
// Handshakes run side by side, so that one stalled client cannot hold up the next, even
// when only one connection is wanted. Their number is bounded: a new client evicts the
// oldest unfinished handshake, so a crowd of silent clients costs bounded memory and
// cannot keep a real one out.
constexpr std::size_t max_concurrent_handshakes = 1024;
// accept() at the descriptor limit: wait this long, doubling up to the cap, then retry.
constexpr std::chrono::milliseconds first_backoff{10};
constexpr std::chrono::milliseconds max_backoff{1000};

// Tested by value and category address, without calling into the category: a sanitizer
// checks such calls with a pipe(), which fails exactly when descriptors ran out.
bool is_resource_shortage(const std::error_code& ec) {
  if (&ec.category() != &asio::error::get_system_category()) return false;
  int v = ec.value();
  return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

// A wildcard IPv6 socket also takes IPv4 (dual stack) unless IPv6 only was asked.
template <class Socket>
void configure(Socket& socket, const asio::ip::address& address, int family, std::error_code& ec) {
  socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && address.is_v6()) socket.set_option(asio::ip::v6_only(family == 6 || !address.is_unspecified()), ec);
}

}  // namespace

ListenerImpl::ListenerImpl(asio::io_context& io, ListenerHandlers handlers, ListenSpec spec)
    : io_(io), handlers_(std::move(handlers)), spec_(std::move(spec)), backoff_timer_(io) {}

void ListenerImpl::start() {
  if (spec_.address) {
    asio::post(io_, [self = shared_from_this()] { self->bind_all({*self->spec_.address}); });
    return;
  }
  if (!spec_.host_name) {
    auto wildcard = spec_.family == 4 ? asio::ip::address(asio::ip::address_v4::any())
                                      : asio::ip::address(asio::ip::address_v6::any());
    asio::post(io_, [self = shared_from_this(), wildcard] { self->bind_all({wildcard}); });
    return;
  }
  std::vector<asio::ip::address> loopback;
  for (bool v6 : {true, false}) {
    if ((spec_.family == 4 && v6) || (spec_.family == 6 && !v6)) continue;
    if (auto a = special_use_address(*spec_.host_name, v6)) loopback.push_back(*a);
  }
  if (!loopback.empty()) {
    asio::post(io_, [self = shared_from_this(), loopback] { self->bind_all(loopback); });
    return;
  }
  resolve_host_name();
}

// A and AAAA asked at once on the loop (c-ares); the Listener binds every address of
// both answers, IPv6 first as getaddrinfo orders them, once both are in.
void ListenerImpl::resolve_host_name() {
  struct Answers {
    int pending = 0;
    std::vector<asio::ip::address> v6, v4;
    std::string error;
  };
  auto answers = std::make_shared<Answers>();
  auto& names = asio::use_service<NameResolver>(io_);
  for (bool v6 : {true, false}) {
    if ((spec_.family == 4 && v6) || (spec_.family == 6 && !v6)) continue;
    ++answers->pending;
    auto answered = [self = shared_from_this(), answers, v6](std::vector<asio::ip::address> found, std::string error) {
      (v6 ? answers->v6 : answers->v4) = std::move(found);
      if (!error.empty() && answers->error.empty()) answers->error = std::move(error);
      if (--answers->pending > 0 || self->stopped_) return;
      std::vector<asio::ip::address> addresses;
      for (const auto& list : {answers->v6, answers->v4}) {
        for (const auto& a : list) {
          if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) addresses.push_back(a);
        }
      }
      if (addresses.empty()) {
        auto why = !answers->error.empty() ? answers->error
                   : self->spec_.family != 0 ? fmt::format("no IPv{} address", self->spec_.family)
                                             : std::string("no address");
        self->fail(make_error(errc::name_resolution_failed, fmt::format("cannot resolve {}: {}", *self->spec_.host_name, why)));
        return;
      }
      self->bind_all(addresses);
    };
    queries_.push_back(names.lookup(*spec_.host_name, v6 ? NameResolver::Family::v6 : NameResolver::Family::v4,
                                    std::move(answered)));
  }
}

// Every address gets every stack. An unspecified port becomes the one the kernel gives
// the first stack, and the others take the same number; when that number is taken on
// UDP, the whole set is bound again on a fresh one.
void ListenerImpl::bind_all(const std::vector<asio::ip::address>& addresses) {
  if (stopped_) return;
  constexpr int attempts_for_a_shared_port = 16;
  std::optional<Error> error;
  for (int attempt = 0; attempt < attempts_for_a_shared_port; ++attempt) {
    std::uint16_t port = spec_.port;
    error.reset();
    for (const auto& address : addresses) {
      error = bind_address(address, port);
      // A wildcard IPv6 bind fails where IPv6 is disabled: IPv4 alone still serves.
      if (error && address.is_v6() && address.is_unspecified() && spec_.family == 0) {
        close_all();
        error = bind_address(asio::ip::address_v4::any(), port);
      }
      if (error) break;
    }
    if (!error || spec_.port != 0) break;
    close_all();
  }
  if (error) {
    fail(*error);
    return;
  }
  auto self = shared_from_this();
  asio::post(io_, [self] {
    if (!self->stopped_ && self->handlers_.listening) self->handlers_.listening(self->local_endpoints_);
  });
  for (auto& acceptor : acceptors_) accept(*acceptor);
  for (auto& demux : demuxes_) demux->start();
  for (auto& server : quic_servers_) server->start();
}

// One UDP socket per address for every QUIC connection; each stream a client opens is
// a Connection of this Listener (RFC 9622 section 7.4: each arrives with its group).
std::optional<Error> ListenerImpl::bind_quic(const asio::ip::address& address, std::uint16_t& port) {
  asio::ip::udp::socket socket(io_);
  if (auto error = open_udp(socket, address, port)) return error;
  std::error_code ec;
  port = socket.local_endpoint(ec).port();
  std::weak_ptr<ListenerImpl> weak = shared_from_this();
  DatagramServer::Events events;
  events.new_stream = [weak](std::shared_ptr<Transport> stream) {
    auto self = weak.lock();
    if (!self || self->stopped_ || !self->take_connection_slot()) {
      stream->shutdown(false);
      return;
    }
    self->new_connection(std::move(stream), Stack::quic);
  };
  events.handshake_failed = [weak](std::string why) {
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->io_, [self, error = make_error(errc::establishment_failed, std::move(why))] {
      if (!self->stopped_ && self->handlers_.soft_error) self->handlers_.soft_error(error);
    });
  };
  AttemptOptions options;
  options.quic = spec_.quic;
  auto server = protocol_for(Stack::quic).serve(std::move(socket), options, std::move(events));
  local_endpoints_.push_back({server->local_endpoint(), std::string(to_string(Stack::quic))});
  quic_servers_.push_back(std::move(server));
  return std::nullopt;
}

bool ListenerImpl::serves(Stack stack) const {
  return std::find(spec_.stacks.begin(), spec_.stacks.end(), stack) != spec_.stacks.end();
}

std::optional<Error> ListenerImpl::bind_address(const asio::ip::address& address, std::uint16_t& port) {
  bool stream = serves(Stack::tcp) || serves(Stack::tls);
  if (stream) {
    if (auto error = bind_tcp(address, port)) return error;
  }
  // QUIC beside TLS/TCP takes the same port number, on UDP.
  if (serves(Stack::quic)) {
    if (auto error = bind_quic(address, port)) return error;
  }
  if (serves(Stack::udp)) return bind_udp(address, port);
  return std::nullopt;
}

void ListenerImpl::close_all() {
  std::error_code ignored;
  for (auto& acceptor : acceptors_) acceptor->close(ignored);
  for (auto& demux : demuxes_) demux->stop_accepting();
  for (auto& server : quic_servers_) server->stop_accepting();
  acceptors_.clear();
  demuxes_.clear();
  quic_servers_.clear();
  local_endpoints_.clear();
}

std::optional<Error> ListenerImpl::bind_tcp(const asio::ip::address& address, std::uint16_t& port) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
  asio::ip::tcp::endpoint endpoint(address, port);
  std::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) configure(*acceptor, address, spec_.family, ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(listen_backlog, ec);
  if (!ec) allow_fast_open(acceptor->native_handle());
  if (ec) return make_error(errc::listener_failed, fmt::format("listen on {}: {}", to_string(address, port), ec.message()));
  auto local = acceptor->local_endpoint(ec);
  port = local.port();
  for (auto stack : spec_.stacks) {
    if (stack == Stack::tcp || stack == Stack::tls) local_endpoints_.push_back({endpoint_string(local), std::string(to_string(stack))});
  }
  acceptors_.push_back(std::move(acceptor));
  return std::nullopt;
}

std::optional<Error> ListenerImpl::open_udp(asio::ip::udp::socket& socket, const asio::ip::address& address,
                                            std::uint16_t port) {
  asio::ip::udp::endpoint endpoint(address, port);
  std::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec) configure(socket, address, spec_.family, ec);
  if (!ec) socket.bind(endpoint, ec);
  if (ec) return make_error(errc::listener_failed, fmt::format("listen on {}: {}", to_string(address, port), ec.message()));
  return std::nullopt;
}

std::optional<Error> ListenerImpl::bind_udp(const asio::ip::address& address, std::uint16_t port) {
  asio::ip::udp::socket socket(io_);
  if (auto error = open_udp(socket, address, port)) return error;
  std::error_code ec;
  std::string local = endpoint_string(socket.local_endpoint(ec));
  local_endpoints_.push_back({local, std::string(to_string(Stack::udp))});
  std::weak_ptr<ListenerImpl> weak = shared_from_this();
  auto demux = std::make_shared<UdpDemux>(std::move(socket), nullptr);
  std::weak_ptr<UdpDemux> weak_demux = demux;
  demux->set_new_peer([weak, weak_demux, local](const asio::ip::udp::endpoint& remote) -> std::shared_ptr<UdpTransport> {
    auto self = weak.lock();
    auto demux = weak_demux.lock();
    if (!self || !demux || self->stopped_ || !self->take_connection_slot()) return nullptr;
    auto transport = std::make_shared<UdpTransport>(demux, remote, local);
    self->new_connection(transport, Stack::udp);
    return transport;
  });
  demuxes_.push_back(std::move(demux));
  return std::nullopt;
}

bool ListenerImpl::accepting_paused() const { return limit_ && *limit_ == 0; }

void ListenerImpl::accept(asio::ip::tcp::acceptor& acceptor) {
  if (stopped_) return;
  if (accepting_paused()) {
    paused_.push_back(&acceptor);
    return;
  }
  acceptor.async_accept([self = shared_from_this(), &acceptor](std::error_code ec, asio::ip::tcp::socket socket) {
    if (self->stopped_ || ec == asio::error::operation_aborted) return;
    if (ec && is_resource_shortage(ec)) {
      self->back_off(acceptor, ec);
      return;
    }
    // Other per-connection failures (the peer reset before accept) must not end the
    // Listener; try again.
    if (!ec && self->backoff_.count() > 0) {
      self->backoff_ = std::chrono::milliseconds(0);
      asio::post(self->io_, [self, error = make_error(errc::listener_failed,
                                                      fmt::format("accepting again after {} failed accept() calls",
                                                                  self->accept_failures_))] {
        if (!self->stopped_ && self->handlers_.soft_error) self->handlers_.soft_error(error);
      });
    }
    if (!ec) self->accepted(std::move(socket));
    self->accept(acceptor);
  });
}

void ListenerImpl::accepted(asio::ip::tcp::socket socket) {
  bool tls = serves(Stack::tls), plain = serves(Stack::tcp);
  if (tls && plain) {
    auto sniff = std::make_shared<TlsSniff>(std::move(socket));
    sniffs_.push_back(sniff);
    sniff->start([self = shared_from_this(), raw = sniff.get()](asio::ip::tcp::socket socket, bool is_tls) {
      std::erase_if(self->sniffs_, [raw](const auto& s) { return s.get() == raw; });
      if (self->stopped_) return;
      if (is_tls) {
        self->handshake(std::move(socket));
      } else {
        self->take_connection_slot();
        self->new_connection(std::make_shared<TcpTransport>(std::move(socket)), Stack::tcp);
      }
    });
  } else if (tls) {
    handshake(std::move(socket));
  } else {
    take_connection_slot();
    new_connection(std::make_shared<TcpTransport>(std::move(socket)), Stack::tcp);
  }
}

// The pending connection stays in the kernel's backlog; it is accepted once a
// descriptor is free. The application hears once per shortage, not once per try.
void ListenerImpl::back_off(asio::ip::tcp::acceptor& acceptor, const std::error_code& ec) {
  ++accept_failures_;
  if (backoff_.count() == 0) {
    backoff_ = first_backoff;
    asio::post(io_, [self = shared_from_this(), error = make_error(errc::listener_failed,
                                                                   fmt::format("accept: {}; pausing new connections "
                                                                               "until descriptors are free",
                                                                               std::strerror(ec.value())))] {
      if (!self->stopped_ && self->handlers_.soft_error) self->handlers_.soft_error(error);
    });
  } else {
    backoff_ = std::min(backoff_ * 2, max_backoff);
  }
  backing_off_.push_back(&acceptor);
  if (backing_off_.size() > 1) return;
  backoff_timer_.expires_after(backoff_);
  backoff_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->stopped_) return;
    auto waiting = std::move(self->backing_off_);
    self->backing_off_.clear();
    for (auto* a : waiting) self->accept(*a);
  });
}

bool ListenerImpl::take_connection_slot() {
  if (!limit_) return true;
  if (*limit_ == 0) return false;
  --*limit_;
  return true;
}

// The Connection exists once the handshake is done. A failed handshake costs the
// Listener nothing: a soft_error says why, and its slot of the limit is free again.
void ListenerImpl::handshake(asio::ip::tcp::socket socket) {
  std::error_code ec;
  std::string remote = endpoint_string(socket.remote_endpoint(ec));
  if (handshakes_.size() >= max_concurrent_handshakes) {
    handshakes_.front()->cancel();
    handshakes_.erase(handshakes_.begin());
  }
  auto handshake = std::make_shared<TlsHandshake>(std::move(socket), spec_.tls->server_session());
  handshakes_.push_back(handshake);
  handshake->start(
      [self = shared_from_this(), raw = handshake.get(), remote](std::optional<std::string> error) {
        auto it = std::find_if(self->handshakes_.begin(), self->handshakes_.end(),
                               [raw](const auto& h) { return h.get() == raw; });
        auto handshake = std::move(*it);
        self->handshakes_.erase(it);
        if (error) {
          asio::post(self->io_, [self, error = make_error(errc::establishment_failed, remote + ": " + *error)] {
            if (!self->stopped_ && self->handlers_.soft_error) self->handlers_.soft_error(error);
          });
          self->resume_accepting();
          return;
        }
        // Several handshakes raced for the last slot of the limit: this one lost.
        if (!self->take_connection_slot()) {
          self->resume_accepting();
          return;
        }
        self->resume_accepting();
        self->new_connection(std::make_shared<TlsTransport>(handshake->take_socket(), handshake->take_session()),
                             Stack::tls);
      },
      server_handshake_timeout);
}

// The Connection reads at once; the application gets it (and its events start) in
// connection_received, posted.
void ListenerImpl::new_connection(std::shared_ptr<Transport> transport, Stack stack) {
  const auto& protocol = protocol_for(stack);
  auto connection = std::make_shared<ConnectionImpl>(io_, ConnectionHandlers{}, protocol.byte_stream, protocol.name);
  connection->set_framers(spec_.framers);
  connection->join(group_for(*transport));
  connection->adopt(std::move(transport));
  asio::post(io_, [self = shared_from_this(), connection] {
    if (!self->handlers_.connection_received) return;
    connection->established_by_listener(self->handlers_.connection_received(Connection(connection)));
  });
}

std::shared_ptr<ConnectionGroup> ListenerImpl::group_for(const Transport& transport) {
  auto session = transport.session();
  if (!session) return std::make_shared<ConnectionGroup>(spec_.properties);
  std::erase_if(groups_, [](const auto& entry) { return entry.first.expired(); });
  auto& group = groups_[session];
  if (!group) group = std::make_shared<ConnectionGroup>(spec_.properties);
  return group;
}

void ListenerImpl::set_new_connection_limit(std::size_t n) {
  limit_ = n;
  resume_accepting();
}

// Handshakes not done yet are connections not received yet: stopping ends them.
void ListenerImpl::cancel_handshakes() {
  for (auto& h : handshakes_) h->cancel();
  handshakes_.clear();
  for (auto& s : sniffs_) s->cancel();
  sniffs_.clear();
}

void ListenerImpl::resume_accepting() {
  if (stopped_ || accepting_paused()) return;
  auto paused = std::move(paused_);
  paused_.clear();
  for (auto* acceptor : paused) accept(*acceptor);
}

void ListenerImpl::stop() {
  if (stopped_) return;
  stopped_ = true;
  auto& names = asio::use_service<NameResolver>(io_);
  for (auto query : queries_) names.cancel(query);
  backoff_timer_.cancel();
  std::error_code ignored;
  for (auto& acceptor : acceptors_) acceptor->close(ignored);
  for (auto& demux : demuxes_) demux->stop_accepting();
  for (auto& server : quic_servers_) server->stop_accepting();
  cancel_handshakes();
  asio::post(io_, [self = shared_from_this()] {
    auto h = std::move(self->handlers_);
    self->handlers_ = {};
    if (h.stopped) h.stopped();
  });
}

void ListenerImpl::fail(Error error) {
  stopped_ = true;
  std::error_code ignored;
  for (auto& acceptor : acceptors_) acceptor->close(ignored);
  for (auto& demux : demuxes_) demux->stop_accepting();
  for (auto& server : quic_servers_) server->stop_accepting();
  cancel_handshakes();
  asio::post(io_, [self = shared_from_this(), error = std::move(error)] {
    auto h = std::move(self->handlers_);
    self->handlers_ = {};
    if (h.establishment_error) h.establishment_error(error);
  });
}

}  // namespace taps::detail
