#include "taps-cat/clone_group.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "common/exit_codes.hpp"
#include "taps-cat/stream_events.hpp"

namespace taps_cat {
namespace {

using namespace taps::apps;

constexpr std::size_t read_chunk = 64 * 1024;

}  // namespace

CloneGroup::CloneGroup(taps::Context& ctx, const EventLog& log, CloneGroupConfig config,
                       std::shared_ptr<FdReader> input, std::shared_ptr<FdWriter> output, std::function<void(int)> done)
    : ctx_(ctx), log_(log), config_(config), input_(std::move(input)), output_(std::move(output)), done_(std::move(done)) {
  members_.resize(config_.count);
  output_->on_error = [this](std::error_code ec) {
    log_.error(fmt::format("cannot write output: {}", ec.message()));
    if (!exit_code_) exit_code_ = exit_connection;
    if (!members_.empty() && members_.front().connection) members_.front().connection.abort_group();
  };
}

std::optional<taps::Error> CloneGroup::start(const taps::Preconnection& preconnection) {
  auto first = preconnection.initiate(ctx_, handlers(0), config_.timeout);
  if (!first) return first.error();
  members_[0].connection = *first;
  return std::nullopt;
}

void CloneGroup::interrupt() {
  input_->close();
  if (members_.front().connection) members_.front().connection.abort_group();
}

// Each member's handlers hold the group: it lives until the last Connection ended.
taps::ConnectionHandlers CloneGroup::handlers(std::size_t index) {
  auto self = shared_from_this();
  taps::ConnectionHandlers h;
  h.ready = [self, index] { self->member_ready(index); };
  h.establishment_error = [self, index](const taps::Error& e) {
    self->log_.emit("establishment_error", {{"connection", static_cast<std::int64_t>(index)}, {"error", e.message()}});
    self->log_.error(e.message());
    if (!self->exit_code_) self->exit_code_ = exit_code_for_establishment(e.code);
    self->member_ended(index, e);
  };
  h.clone_error = [self](const taps::Error& e) {
    self->log_.emit("clone_error", {{"group", static_cast<std::int64_t>(self->members_[0].connection.group_id())},
                                    {"error", e.message()}});
    self->log_.error(e.message());
    if (!self->exit_code_) self->exit_code_ = exit_establishment;
    self->members_[0].connection.abort_group();
  };
  auto deliver = [self, index](taps::Message m, bool whole_message) {
    auto& c = self->members_[index].connection;
    if (self->config_.framed && whole_message) self->output_->write_line(std::move(m));
    else if (!m.empty()) self->output_->write(std::move(m));
    c.receive();
  };
  h.received = [deliver](taps::Message m, taps::MessageContext) { deliver(std::move(m), true); };
  h.received_partial = [deliver](taps::Message m, taps::MessageContext, bool end) {
    if (end && m.empty()) return;  // the peer ended the stream: nothing more to ask for
    deliver(std::move(m), end);
  };
  h.closed = [self, index] { self->member_ended(index, std::nullopt); };
  h.connection_error = [self, index](const taps::Error& e) {
    self->log_.error(e.message());
    self->member_ended(index, e);
  };
  return h;
}

void CloneGroup::member_ready(std::size_t index) {
  auto& m = members_[index];
  m.ready = true;
  ++ready_;
  auto tls = m.connection.tls_info();
  EventFields fields{{"group", static_cast<std::int64_t>(m.connection.group_id())},
                     {"connection", static_cast<std::int64_t>(index)},
                     {"stack", m.connection.stack()},
                     {"remote", m.connection.remote_endpoint()},
                     {"local", m.connection.local_endpoint()}};
  if (tls) fields.emplace_back("resumed", tls->resumed);
  if (auto stream = m.connection.stream_id()) fields.emplace_back("stream", std::int64_t{*stream});
  log_.emit("ready", fields);
  m.connection.receive();
  if (index == 0) {
    for (std::size_t i = 1; i < members_.size(); ++i) {
      members_[i].connection = members_[0].connection.clone(handlers(i));
      if (!members_[i].connection) return;  // clone_error says why
    }
  }
  if (ready_ == members_.size()) read_input();
}

void CloneGroup::read_input() {
  if (reading_ || finished_) return;
  reading_ = true;
  input_->read(read_chunk, [self = shared_from_this()](std::error_code ec, std::vector<std::uint8_t> bytes) {
    self->reading_ = false;
    if (ec || bytes.empty()) {
      self->input_ended();
      return;
    }
    self->send_lines(bytes);
    self->read_input();
  });
}

// Whole lines only, so that no line is split across two connections.
void CloneGroup::send_lines(const std::vector<std::uint8_t>& bytes) {
  auto begin = bytes.begin();
  for (auto nl = std::find(begin, bytes.end(), '\n'); nl != bytes.end(); nl = std::find(begin, bytes.end(), '\n')) {
    partial_line_.insert(partial_line_.end(), begin, config_.framed ? nl : nl + 1);
    begin = nl + 1;
    auto& m = members_[next_];
    next_ = (next_ + 1) % members_.size();
    ++m.lines;
    m.connection.send(taps::Message(std::move(partial_line_)));
    partial_line_.clear();
  }
  partial_line_.insert(partial_line_.end(), begin, bytes.end());
}

void CloneGroup::input_ended() {
  if (!partial_line_.empty()) {
    auto& m = members_[next_];
    ++m.lines;
    m.connection.send(taps::Message(std::move(partial_line_)));
    partial_line_.clear();
  }
  // A half-close per Connection rather than close_group(): close() would drop the replies
  // still on their way, and a Connection ends once both sides have ended.
  for (auto& m : members_) {
    taps::MessageContext fin;
    fin.final = true;
    m.connection.send(taps::Message{}, fin);
  }
}

void CloneGroup::member_ended(std::size_t index, std::optional<taps::Error> error) {
  auto& m = members_[index];
  if (m.ended) return;
  m.ended = true;
  ++ended_;
  EventFields fields{{"group", static_cast<std::int64_t>(members_[0].connection.group_id())},
                     {"connection", static_cast<std::int64_t>(index)},
                     {"lines_sent", static_cast<std::int64_t>(m.lines)}};
  if (error) fields.emplace_back("error", error->message());
  if (auto stream = m.connection.stream_id()) fields.emplace_back("stream", std::int64_t{*stream});
  emit_statistics(log_, m.connection);
  log_.emit(error ? "connection_error" : "closed", fields);
  if (error && !exit_code_) exit_code_ = exit_connection;
  // One lost Connection ends the demo: the others would wait for stdin for ever.
  if (error) members_[0].connection.abort_group();
  // Clones never made (the first failed, or a clone was refused) end nothing.
  std::size_t made = static_cast<std::size_t>(
      std::count_if(members_.begin(), members_.end(), [](const Member& x) { return static_cast<bool>(x.connection); }));
  if (ended_ >= made) finish(exit_code_.value_or(exit_ok));
}

void CloneGroup::finish(int code) {
  if (finished_) return;
  finished_ = true;
  input_->close();
  // Weak: the writer keeps this callback, and this group keeps the writer.
  auto once = [weak = weak_from_this(), code] {
    auto self = weak.lock();
    if (!self) return;
    if (auto done = std::exchange(self->done_, nullptr)) done(code);
  };
  output_->on_drained = once;
  if (output_->queued_bytes() == 0) once();
}

}  // namespace taps_cat
