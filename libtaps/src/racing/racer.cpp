#include "racing/racer.hpp"

#include <fmt/format.h>

#include "transport/address.hpp"
#include "transport/socket_error.hpp"

namespace taps::detail {

Racer::Racer(asio::io_context& io, RaceSpec spec, RaceCallbacks callbacks)
    : io_(io), spec_(std::move(spec)), callbacks_(std::move(callbacks)), stagger_(io), deadline_(io) {}

void Racer::start() {
  if (spec_.timeout) {
    deadline_at_ = std::chrono::steady_clock::now() + *spec_.timeout;
    arm_deadline();
  }
  resolved_.resize(spec_.remotes.size());
  pending_resolutions_ = spec_.remotes.size();
  for (std::size_t i = 0; i < spec_.remotes.size(); ++i) resolve(i);
}

// The whole establishment has one deadline, also across a resumed race.
void Racer::arm_deadline() {
  deadline_.expires_at(deadline_at_);
  deadline_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->done_) return;
    self->fail(make_error(errc::establishment_timeout,
                          fmt::format("no candidate was ready within {} ms", self->spec_.timeout->count())));
  });
}

void Racer::cancel() {
  if (done_) return;
  done_ = true;
  stop_timers();
  for (auto& r : resolvers_) r->cancel();
  for (auto& a : attempts_) close(*a);
}

void Racer::close(Attempt& attempt) {
  std::error_code ignored;
  attempt.socket.close(ignored);
  if (attempt.handshake) attempt.handshake->cancel();
}

// Literal addresses skip the resolver but still complete asynchronously, so that
// no event can fire from inside initiate().
void Racer::resolve(std::size_t index) {
  const auto& remote = spec_.remotes[index];
  std::uint16_t port = remote.port().value_or(0);
  std::string host = remote.ip_address() ? *remote.ip_address() : remote.host_name().value_or("");
  if (auto literal = parse_ip_literal(host)) {
    resolved_[index].push_back({spec_.stack, *literal, port});
    asio::post(io_, [self = shared_from_this()] {
      if (--self->pending_resolutions_ == 0 && !self->done_) self->resolved();
    });
    return;
  }
  auto& resolver = resolvers_.emplace_back(std::make_unique<asio::ip::tcp::resolver>(io_));
  auto protocol = spec_.family == 4 ? asio::ip::tcp::v4() : asio::ip::tcp::v6();
  auto on_resolved = [self = shared_from_this(), index, host, port](std::error_code ec,
                                                                     asio::ip::tcp::resolver::results_type results) {
    if (self->done_) return;
    std::string addresses;
    for (const auto& entry : results) {
      auto address = unmapped(entry.endpoint().address());
      self->resolved_[index].push_back({self->spec_.stack, address, port, host});
      addresses += (addresses.empty() ? "" : " ") + address.to_string();
    }
    if (ec) {
      self->resolve_errors_.push_back(fmt::format("cannot resolve {}: {}", host, ec.message()));
    }
    self->emit(RaceEvent::Kind::resolve, 0, nullptr, ec ? ec.message() : addresses, host);
    if (--self->pending_resolutions_ == 0) self->resolved();
  };
  if (spec_.family == 0) {
    resolver->async_resolve(host, std::to_string(port), asio::ip::resolver_base::numeric_service, on_resolved);
  } else {
    resolver->async_resolve(protocol, host, std::to_string(port), asio::ip::resolver_base::numeric_service,
                            on_resolved);
  }
}

void Racer::resolved() {
  std::vector<Candidate> given;
  for (const auto& list : resolved_) given.insert(given.end(), list.begin(), list.end());
  candidates_ = order_candidates(given, spec_.family);
  if (candidates_.empty()) {
    std::string why;
    for (const auto& e : resolve_errors_) why += (why.empty() ? "" : "; ") + e;
    if (why.empty()) why = fmt::format("no IPv{} address for the remote endpoint", spec_.family);
    fail(make_error(errc::name_resolution_failed, why));
    return;
  }
  start_next();
}

void Racer::start_next() {
  if (done_ || next_ >= candidates_.size()) return;
  int id = static_cast<int>(next_) + 1;
  const auto& c = candidates_[next_++];
  emit(RaceEvent::Kind::attempt, id, &c);
  switch (c.stack) {
    case Stack::tcp:
    case Stack::tls: {
      auto& attempt = attempts_.emplace_back(std::make_unique<Attempt>(Attempt{id, c, asio::ip::tcp::socket(io_)}));
      start_tcp(*attempt);
      break;
    }
    case Stack::udp:
      connect_udp(c, id);
      return;
  }
  if (next_ < candidates_.size()) {
    stagger_.expires_after(spec_.attempt_delay);
    stagger_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->start_next();
    });
  }
}

void Racer::start_tcp(Attempt& attempt) {
  std::error_code ec;
  asio::ip::tcp::endpoint remote(attempt.candidate.address, attempt.candidate.port);
  attempt.socket.open(remote.protocol(), ec);
  if (!ec && spec_.local_address) {
    attempt.socket.set_option(asio::socket_base::reuse_address(true), ec);
    attempt.socket.bind({*spec_.local_address, spec_.local_port}, ec);
  }
  if (ec) {
    asio::post(io_, [self = shared_from_this(), id = attempt.id, why = ec.message()] {
      self->attempt_failed(id, why);
    });
    return;
  }
  attempt.socket.async_connect(remote, [self = shared_from_this(), id = attempt.id](std::error_code ec) {
    if (ec == asio::error::operation_aborted || self->done_) return;
    if (ec) {
      self->attempt_failed(id, ec.message());
    } else {
      self->tcp_connected(id);
    }
  });
}

// UDP has no handshake: connect() only fixes the peer, so the first candidate that
// can be connected wins at once.
void Racer::connect_udp(const Candidate& c, int id) {
  asio::ip::udp::endpoint remote(c.address, c.port);
  auto socket = std::make_shared<asio::ip::udp::socket>(io_);
  std::error_code ec;
  socket->open(remote.protocol(), ec);
  if (!ec && spec_.local_address) socket->bind({*spec_.local_address, spec_.local_port}, ec);
  if (!ec) socket->connect(remote, ec);
  asio::post(io_, [self = shared_from_this(), socket, c, id, ec] {
    if (self->done_) return;
    if (ec) {
      self->attempt_failed(id, ec.message());
      return;
    }
    std::error_code ignored;
    auto local = socket->local_endpoint(ignored);
    self->emit(RaceEvent::Kind::ready, id, &c, {}, endpoint_string(local));
    self->done_ = true;
    self->winner_ = id;
    self->stop_timers();
    self->callbacks_.udp_won(std::move(*socket));
  });
}

void Racer::attempt_failed(int id, const std::string& why) {
  if (done_) return;
  const Candidate* c = &candidates_[static_cast<std::size_t>(id - 1)];
  emit(RaceEvent::Kind::attempt_failed, id, c, why);
  failures_.push_back(fmt::format("{} ({}): {}", to_string(c->address, c->port), to_string(c->stack), why));
  for (auto& a : attempts_) {
    if (a->id == id) a->running = false;
  }
  // A failure frees the slot at once (RFC 8305 section 5): no need to wait the delay.
  if (next_ < candidates_.size()) {
    stagger_.cancel();
    start_next();
    return;
  }
  for (const auto& a : attempts_) {
    if (a->running) return;
  }
  fail_all();
}

void Racer::fail_all() {
  std::string detail = failures_.size() == 1
                           ? "connect to " + failures_.front()
                           : fmt::format("all {} candidates failed: {}", failures_.size(), fmt::join(failures_, "; "));
  fail(make_error(errc::establishment_failed, detail));
}

void Racer::resume(const Error& why) {
  if (!done_) return;
  done_ = false;
  const Candidate& c = candidates_[static_cast<std::size_t>(winner_ - 1)];
  emit(RaceEvent::Kind::attempt_failed, winner_, &c, why.message());
  failures_.push_back(fmt::format("{} ({}): {}", to_string(c.address, c.port), to_string(c.stack), why.message()));
  if (next_ >= candidates_.size()) {
    fail_all();
    return;
  }
  if (spec_.timeout) arm_deadline();
  start_next();
}

void Racer::tcp_connected(int id) {
  for (auto& a : attempts_) {
    if (a->id == id && a->candidate.stack == Stack::tls) {
      start_tls(*a);
      return;
    }
  }
  won(id);
}

// The handshake verifies the name the candidate was resolved from, or its address when
// it was given as a literal (without an IPv6 scope: certificates never carry one).
void Racer::start_tls(Attempt& attempt) {
  const auto& c = attempt.candidate;
  auto address = unmapped(c.address);
  auto text = address.is_v6() ? asio::ip::address_v6(address.to_v6().to_bytes()).to_string() : address.to_string();
  attempt.handshake = std::make_shared<TlsHandshake>(std::move(attempt.socket),
                                                     spec_.tls->client_session(c.host_name, text, c.port));
  attempt.handshake->start([self = shared_from_this(), id = attempt.id](std::optional<std::string> error) {
    if (self->done_) return;
    if (error) {
      self->attempt_failed(id, *error);
    } else {
      self->won(id);
    }
  });
}

void Racer::won(int id) {
  done_ = true;
  winner_ = id;
  stop_timers();
  std::unique_ptr<Attempt> winner;
  for (auto& a : attempts_) {
    if (a->id == id) {
      winner = std::move(a);
      continue;
    }
    if (!a->running) continue;
    close(*a);
    emit(RaceEvent::Kind::cancelled, a->id, &a->candidate);
  }
  attempts_.clear();
  auto socket = winner->handshake ? winner->handshake->take_socket() : std::move(winner->socket);
  std::error_code ignored;
  auto local = socket.local_endpoint(ignored);
  emit(RaceEvent::Kind::ready, id, &winner->candidate, {}, endpoint_string(local));
  if (winner->handshake) {
    callbacks_.tls_won(std::move(socket), winner->handshake->take_session());
  } else {
    callbacks_.tcp_won(std::move(socket));
  }
}

void Racer::fail(Error error) {
  if (done_) return;
  bool timed_out = error.code == make_error_code(errc::establishment_timeout);
  cancel();
  if (timed_out) {
    for (auto& a : attempts_) {
      if (a->running) emit(RaceEvent::Kind::cancelled, a->id, &a->candidate);
    }
  }
  callbacks_.failed(std::move(error));
}

void Racer::stop_timers() {
  stagger_.cancel();
  deadline_.cancel();
}

void Racer::emit(RaceEvent::Kind kind, int id, const Candidate* c, std::string detail, std::string local) {
  if (!callbacks_.event) return;
  RaceEvent e{kind, std::chrono::steady_clock::now(), id, {}, {}, {}, {}, std::move(detail)};
  if (c) {
    e.stack = std::string(to_string(c->stack));
    e.remote = to_string(c->address, c->port);
    e.local = std::move(local);
  } else {
    e.remote = std::move(local);  // resolve: the name that was resolved
  }
  callbacks_.event(std::move(e));
}

}  // namespace taps::detail
