// The addresses of a list of remote endpoints, one answer per query as it comes
// (RFC 8305 section 3: A and AAAA apart, neither waiting for the other). A literal is
// one answer; "localhost" is answered here (RFC 6761); other names go to c-ares
// (core/name_resolver). Initiate races on the answers as they arrive (core/racer),
// Resolve waits for all of them (core/resolve).
#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/name_resolver.hpp"
#include "racing/candidate_tree.hpp"
#include "racing/race_schedule.hpp"
#include "taps/endpoint.hpp"

namespace taps::detail {

class RemoteResolution : public std::enable_shared_from_this<RemoteResolution> {
 public:
  struct Answer {
    std::size_t index;  // of the remote endpoint
    RaceSchedule::Query query;
    std::vector<RemoteAddress> addresses;  // in the resolver's order, possibly none
    std::string name;                      // the host name asked; empty for a literal
    std::string error;                     // why there are none, when the resolver said
  };

  // `family` 4 or 6 asks only that family; 0 both. Each answer is posted. A query in
  // flight holds the resolution, which holds `answered`: hold the receiver weakly there
  // if it holds the resolution.
  RemoteResolution(asio::io_context& io, std::vector<RemoteEndpoint> remotes, int family,
                   std::function<void(Answer)> answered);

  // How many answers start() will bring.
  std::size_t queries() const;
  void start();
  // No answer comes after it.
  void cancel();

 private:
  void look_up(std::size_t index, RaceSchedule::Query query, const std::string& host);
  void deliver(std::size_t index, RaceSchedule::Query query, const std::vector<asio::ip::address>& addresses,
               std::string name, std::string error);

  asio::io_context& io_;
  std::vector<RemoteEndpoint> remotes_;
  int family_;
  std::function<void(Answer)> answered_;
  std::vector<NameResolver::QueryId> queries_;  // sent to the resolver
  bool cancelled_ = false;
};

}  // namespace taps::detail
