#include "core/racer.hpp"

#include <fmt/format.h>

#include "transport/address.hpp"

namespace taps::detail {
namespace {

// "ADDR:PORT" as events and errors show it (an IPv4-mapped address as IPv4).
std::string where(const Candidate& c) { return to_string(*parse_ip_literal(c.address.to_string()), c.port); }

std::string describe(const Candidate& c) {
  auto where = detail::where(c);
  if (c.interface_name.empty()) return fmt::format("{} ({})", where, to_string(c.stack));
  return fmt::format("{} ({} via {})", where, to_string(c.stack), c.interface_name);
}

}  // namespace

// The candidate in socket terms. Its address text came from an asio address (answered),
// so it parses back. A local port without an address (-p) binds the wildcard of the
// candidate's family.
AttemptTarget Racer::target_for(const Candidate& c) const {
  AttemptTarget target{*parse_ip_literal(c.address.to_string()), c.port, c.host_name, c.interface_name, {}, 0};
  if (spec_.local_address) {
    target.local_address = *spec_.local_address;
    if (spec_.local_address->is_unspecified()) {
      target.local_address = c.address.is_v4() ? asio::ip::address(asio::ip::address_v4::any())
                                               : asio::ip::address(asio::ip::address_v6::any());
    }
    target.local_port = spec_.local_port;
  }
  return target;
}

Racer::Racer(asio::io_context& io, RaceSpec spec, RaceCallbacks callbacks)
    : io_(io), spec_(std::move(spec)), callbacks_(std::move(callbacks)), timer_(io) {}

// A query still in flight (the AAAA answer after an IPv4 win) is of no use any more.
Racer::~Racer() {
  if (resolution_) resolution_->cancel();
}

void Racer::start() {
  resolution_ = std::make_shared<RemoteResolution>(io_, spec_.remotes, spec_.family,
                                                   [weak = weak_from_this()](RemoteResolution::Answer answer) {
                                                     auto self = weak.lock();
                                                     if (self && !self->done_) self->answered(std::move(answer));
                                                   });
  schedule_.emplace(spec_.timers, resolution_->queries(), std::chrono::steady_clock::now());
  resolved_.resize(spec_.remotes.size());
  resolution_->start();
  asio::post(io_, [self = shared_from_this()] { self->step(); });
}

void Racer::cancel() {
  if (done_) return;
  done_ = true;
  timer_.cancel();
  if (resolution_) resolution_->cancel();
  for (auto& a : attempts_) a.attempt->cancel();
}

void Racer::answered(RemoteResolution::Answer answer) {
  auto& list = answer.query == RaceSchedule::Query::aaaa ? resolved_[answer.index].v6 : resolved_[answer.index].v4;
  std::string text;
  for (const auto& a : answer.addresses) text += (text.empty() ? "" : " ") + a.address.to_string();
  list.insert(list.end(), answer.addresses.begin(), answer.addresses.end());
  if (!answer.error.empty()) resolve_errors_.push_back(std::move(answer.error));
  auto now = std::chrono::steady_clock::now();
  if (!answer.name.empty() && callbacks_.event) {
    RaceEvent e{RaceEvent::Kind::resolve, now, 0, {}, answer.name, {}, {}, std::move(text),
                answer.query == RaceSchedule::Query::aaaa ? "AAAA" : "A"};
    callbacks_.event(std::move(e));
  }
  schedule_->answered(answer.query, !answer.addresses.empty(), leaves(), now);
  step();
}

std::vector<Candidate> Racer::leaves() const {
  std::vector<RemoteAddress> addresses;
  for (const auto& r : resolved_) {
    addresses.insert(addresses.end(), r.v6.begin(), r.v6.end());
    addresses.insert(addresses.end(), r.v4.begin(), r.v4.end());
  }
  return race_leaves(spec_, addresses);
}

std::vector<Candidate> race_leaves(const RaceSpec& spec, const std::vector<RemoteAddress>& addresses) {
  return build_candidate_tree(spec.paths, spec.stacks, addresses, spec.interfaces, spec.family,
                              spec.first_family_count);
}

// Starts what is due, then sleeps until the schedule's next deadline.
void Racer::step() {
  if (done_) return;
  auto now = std::chrono::steady_clock::now();
  while (auto start = schedule_->next(now)) launch(*start, now);
  switch (schedule_->state()) {
    case RaceSchedule::State::failed:
      fail_all();
      return;
    case RaceSchedule::State::timed_out:
      fail(make_error(errc::establishment_timeout,
                      spec_.rendezvous
                          ? fmt::format("no rendezvous within {} ms: the peer did not connect or answer",
                                        spec_.timers.timeout->count())
                          : fmt::format("no candidate was ready within {} ms", spec_.timers.timeout->count())));
      return;
    case RaceSchedule::State::won:
      return;
    case RaceSchedule::State::resolving:
    case RaceSchedule::State::racing:
      break;
  }
  auto wake = schedule_->wake_at();
  if (!wake) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(*wake);
  timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (!ec) self->step();
  });
}

void Racer::launch(const RaceSchedule::Start& start, TimePoint now) {
  const auto& c = start.candidate;
  emit(RaceEvent::Kind::attempt, start.id, &c, {}, {}, now);
  auto done = [self = shared_from_this(), id = start.id](std::shared_ptr<Transport> transport, std::string error) {
    if (self->done_) return;  // a transport dropped here closes its socket
    if (!transport) {
      self->attempt_failed(id, error);
    } else {
      self->won(id, std::move(transport));
    }
  };
  const auto& protocol = protocol_for(c.stack);
  auto start_attempt = spec_.rendezvous ? protocol.rendezvous : protocol.connect;
  auto attempt = start_attempt(io_, target_for(c), spec_.options, std::move(done));
  attempts_.push_back({start.id, c, std::move(attempt)});
}

Racer::Running* Racer::find(int id) {
  for (auto& a : attempts_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

void Racer::attempt_failed(int id, const std::string& why) {
  if (done_) return;
  const auto& c = schedule_->candidate(id);
  emit(RaceEvent::Kind::attempt_failed, id, &c, why);
  failures_.push_back(fmt::format("{}: {}", describe(c), why));
  if (auto* a = find(id)) a->attempt->cancel();
  // A failure frees the slot at once (RFC 8305 section 5): no need to wait the delay.
  schedule_->attempt_failed(id, std::chrono::steady_clock::now());
  step();
}

void Racer::fail_all() {
  if (failures_.empty()) {
    std::string why;
    for (const auto& e : resolve_errors_) why += (why.empty() ? "" : "; ") + e;
    bool resolved_any = false, family_any = false;
    std::vector<std::string> other_family;
    for (const auto& r : resolved_) {
      resolved_any = resolved_any || !r.v6.empty() || !r.v4.empty();
      family_any = family_any || (spec_.family != 4 && !r.v6.empty()) || (spec_.family != 6 && !r.v4.empty());
      for (const auto& a : spec_.family == 6 ? r.v4 : r.v6) other_family.push_back(a.address.to_string());
    }
    if (resolved_any && !family_any) {
      fail(make_error(errc::establishment_failed,
                      fmt::format("the remote endpoint has no IPv{} address, and only IPv{} is allowed (-{}): {} {} IPv{}",
                                  spec_.family, spec_.family, spec_.family, fmt::join(other_family, ", "),
                                  other_family.size() == 1 ? "is" : "are", spec_.family == 6 ? 4 : 6)));
      return;
    }
    if (resolved_any) {
      fail(make_error(errc::establishment_failed, "no candidate left: the interface preferences rule out every path"));
      return;
    }
    if (why.empty()) why = fmt::format("no IPv{} address for the remote endpoint", spec_.family);
    fail(make_error(errc::name_resolution_failed, why));
    return;
  }
  std::string detail = failures_.size() == 1
                           ? (spec_.rendezvous ? "rendezvous with " : "connect to ") + failures_.front()
                           : fmt::format("all {} attempts failed: {}", failures_.size(), fmt::join(failures_, "; "));
  fail(make_error(errc::establishment_failed, detail));
}

void Racer::confirm_ready() {
  if (!winner_candidate_) return;
  emit(RaceEvent::Kind::ready, winner_, &*winner_candidate_, {}, winner_local_);
  winner_candidate_.reset();
}

void Racer::resume(const Error& why) {
  if (!done_ || winner_ == 0) return;
  done_ = false;
  winner_candidate_.reset();
  const auto& c = schedule_->candidate(winner_);
  emit(RaceEvent::Kind::attempt_failed, winner_, &c, why.message());
  failures_.push_back(fmt::format("{}: {}", describe(c), why.message()));
  schedule_->resume(winner_, std::chrono::steady_clock::now());
  winner_ = 0;
  step();
}

void Racer::won(int id, std::shared_ptr<Transport> transport) {
  done_ = true;
  winner_ = id;
  timer_.cancel();
  for (auto& a : attempts_) {
    if (a.id == id) {
      winner_candidate_ = a.candidate;
      continue;
    }
    if (!schedule_->running(a.id)) continue;
    a.attempt->cancel();
    emit(RaceEvent::Kind::cancelled, a.id, &a.candidate);
  }
  schedule_->attempt_won(id);
  attempts_.clear();
  winner_local_ = transport->local_endpoint();
  callbacks_.won(std::move(transport));
}

void Racer::fail(Error error) {
  if (done_) return;
  bool timed_out = error.code == make_error_code(errc::establishment_timeout);
  if (timed_out) {
    for (auto& a : attempts_) {
      if (schedule_->running(a.id)) emit(RaceEvent::Kind::cancelled, a.id, &a.candidate);
    }
  }
  cancel();
  callbacks_.failed(std::move(error));
}

void Racer::emit(RaceEvent::Kind kind, int id, const Candidate* c, std::string detail, std::string local,
                 TimePoint at) {
  if (!callbacks_.event) return;
  RaceEvent e{kind, at, id, std::string(to_string(c->stack)), where(*c), std::move(local),
              c->interface_name, std::move(detail), {}};
  callbacks_.event(std::move(e));
}

}  // namespace taps::detail
