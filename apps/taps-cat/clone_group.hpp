// taps-cat --clone N: a connection group from the shell (RFC 9622 section 7.4). The
// first Connection is Initiate's, the other N-1 are its clones; stdin lines go to them
// round-robin, whole lines only, and whatever any of them receives goes to stdout. At
// stdin EOF each Connection half-closes (final): the exit code is 0 once every one
// closed; one that fails aborts the group (abort_group) and decides the exit code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/event_log.hpp"
#include "common/fd_stream.hpp"
#include "taps/context.hpp"
#include "taps/preconnection.hpp"

namespace taps_cat {

struct CloneGroupConfig {
  std::size_t count = 2;
  bool framed = false;  // a framer makes each line one message (sent without its newline)
  std::optional<std::chrono::milliseconds> timeout;  // Initiate's, and each clone's
};

class CloneGroup : public std::enable_shared_from_this<CloneGroup> {
 public:
  CloneGroup(taps::Context& ctx, const taps::apps::EventLog& log, CloneGroupConfig config,
             std::shared_ptr<taps::apps::FdReader> input, std::shared_ptr<taps::apps::FdWriter> output,
             std::function<void(int)> done);

  // Initiates the first Connection; a configuration error comes back at once.
  std::optional<taps::Error> start(const taps::Preconnection& preconnection);
  // A signal: abort the whole group.
  void interrupt();

 private:
  struct Member {
    taps::Connection connection;
    std::uint64_t lines = 0;
    bool ready = false, ended = false;
  };
  taps::ConnectionHandlers handlers(std::size_t index);
  void member_ready(std::size_t index);
  void read_input();
  void send_lines(const std::vector<std::uint8_t>& bytes);
  void input_ended();
  void member_ended(std::size_t index, std::optional<taps::Error> error);
  void finish(int code);

  taps::Context& ctx_;
  const taps::apps::EventLog& log_;
  CloneGroupConfig config_;
  std::shared_ptr<taps::apps::FdReader> input_;
  std::shared_ptr<taps::apps::FdWriter> output_;
  std::function<void(int)> done_;
  std::vector<Member> members_;
  std::vector<std::uint8_t> partial_line_;
  std::size_t next_ = 0;      // the member that gets the next line
  std::size_t ready_ = 0;
  std::size_t ended_ = 0;
  std::optional<int> exit_code_;  // the first failure decides
  bool reading_ = false;
  bool finished_ = false;
};

}  // namespace taps_cat
