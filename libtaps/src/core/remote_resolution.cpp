#include "core/remote_resolution.hpp"

#include <asio/post.hpp>
#include <fmt/format.h>
#include <net/if.h>

#include "transport/address.hpp"

namespace taps::detail {
namespace {

std::string scope_name(const asio::ip::address& a) {
  if (!a.is_v6() || a.to_v6().scope_id() == 0) return {};
  char name[IF_NAMESIZE] = {};
  if (!::if_indextoname(static_cast<unsigned>(a.to_v6().scope_id()), name)) return {};
  return name;
}

std::string host_of(const RemoteEndpoint& r) { return r.ip_address() ? *r.ip_address() : r.host_name().value_or(""); }

}  // namespace

RemoteResolution::RemoteResolution(asio::io_context& io, std::vector<RemoteEndpoint> remotes, int family,
                                   std::function<void(Answer)> answered)
    : io_(io), remotes_(std::move(remotes)), family_(family), answered_(std::move(answered)) {}

std::size_t RemoteResolution::queries() const {
  std::size_t queries = 0;
  for (const auto& r : remotes_) queries += parse_ip_literal(host_of(r)) || family_ != 0 ? 1 : 2;
  return queries;
}

// Literals and special names skip the resolver but still come asynchronously, so that
// no event can fire from inside initiate().
void RemoteResolution::start() {
  for (std::size_t index = 0; index < remotes_.size(); ++index) {
    auto host = host_of(remotes_[index]);
    if (auto literal = parse_ip_literal(host)) {
      auto query = literal->is_v6() ? RaceSchedule::Query::aaaa : RaceSchedule::Query::a;
      asio::post(io_, [self = shared_from_this(), index, query, a = *literal] { self->deliver(index, query, {a}, {}, {}); });
      continue;
    }
    for (auto query : {RaceSchedule::Query::aaaa, RaceSchedule::Query::a}) {
      bool v6 = query == RaceSchedule::Query::aaaa;
      if ((family_ == 4 && v6) || (family_ == 6 && !v6)) continue;
      if (auto loopback = special_use_address(host, v6)) {
        asio::post(io_, [self = shared_from_this(), index, query, a = *loopback, host] {
          self->deliver(index, query, {a}, host, {});
        });
        continue;
      }
      look_up(index, query, host);
    }
  }
}

void RemoteResolution::cancel() {
  cancelled_ = true;
  auto& names = asio::use_service<NameResolver>(io_);
  for (auto id : queries_) names.cancel(id);
}

void RemoteResolution::look_up(std::size_t index, RaceSchedule::Query query, const std::string& host) {
  bool v6 = query == RaceSchedule::Query::aaaa;
  auto report = [self = shared_from_this(), index, query, host, v6](std::vector<asio::ip::address> addresses,
                                                                    std::string error) {
    if (!error.empty()) error = fmt::format("cannot resolve {} ({}): {}", host, v6 ? "AAAA" : "A", error);
    self->deliver(index, query, addresses, host, std::move(error));
  };
  queries_.push_back(asio::use_service<NameResolver>(io_).lookup(
      host, v6 ? NameResolver::Family::v6 : NameResolver::Family::v4, std::move(report)));
}

void RemoteResolution::deliver(std::size_t index, RaceSchedule::Query query,
                               const std::vector<asio::ip::address>& addresses, std::string name, std::string error) {
  if (cancelled_) return;
  const auto& remote = remotes_[index];
  Answer answer{index, query, {}, std::move(name), std::move(error)};
  for (const auto& found : addresses) {
    auto a = unmapped(found);
    auto interface_name = scope_name(a);
    if (interface_name.empty()) interface_name = remote.interface_name().value_or("");
    answer.addresses.push_back({IpAddress(a.to_string()), remote.port().value_or(0), answer.name, interface_name});
  }
  answered_(std::move(answer));
}

}  // namespace taps::detail
