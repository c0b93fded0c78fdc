#include "common/fd_stream.hpp"

#include <asio/write.hpp>
#include <array>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace taps::apps {

StdioFlagsGuard::StdioFlagsGuard()
    : stdin_flags_(::fcntl(STDIN_FILENO, F_GETFL)), stdout_flags_(::fcntl(STDOUT_FILENO, F_GETFL)) {}

StdioFlagsGuard::~StdioFlagsGuard() {
  if (stdin_flags_ != -1) ::fcntl(STDIN_FILENO, F_SETFL, stdin_flags_);
  if (stdout_flags_ != -1) ::fcntl(STDOUT_FILENO, F_SETFL, stdout_flags_);
}

void grow_pipe(int fd, int bytes) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) ::fcntl(fd, F_SETPIPE_SZ, bytes);
}

FdReader::FdReader(asio::io_context& io, int fd) : fd_(io, fd) {}

void FdReader::read(std::size_t max, std::function<void(std::error_code, std::vector<std::uint8_t>)> done) {
  if (max > capacity_) {
    buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(max);
    capacity_ = max;
  }
  fd_.async_read_some(asio::buffer(buffer_.get(), max), [self = shared_from_this(), done = std::move(done)](std::error_code ec, std::size_t n) {
    if (ec) {
      done(ec, {});
      return;
    }
    done(ec, std::vector<std::uint8_t>(self->buffer_.get(), self->buffer_.get() + n));
  });
}

void FdReader::close() {
  std::error_code ignored;
  fd_.close(ignored);
}

FdWriter::FdWriter(asio::io_context& io, int fd) : fd_(io, fd) {}

void FdWriter::write(Message bytes) {
  if (!bytes.empty()) push(std::move(bytes), false);
}

void FdWriter::write_line(Message bytes) { push(std::move(bytes), true); }

void FdWriter::push(Message bytes, bool newline) {
  if (failed_) return;
  Entry entry{std::move(bytes), newline};
  queued_bytes_ += entry.size();
  queue_.push_back(std::move(entry));
  write_next();
}

// Many small messages (a line each) are copied into one buffer and written at once:
// for them a copy costs less than a system call or an iovec each. A large message at
// the front goes out as it is.
void FdWriter::write_next() {
  if (writing_ || failed_) return;
  if (queue_.empty()) {
    if (close_when_drained_) {
      std::error_code ignored;
      fd_.close(ignored);
    }
    if (on_drained) on_drained();
    return;
  }
  constexpr std::size_t staging_limit = 256 * 1024;
  static constexpr char newline = '\n';
  const auto& front = queue_.front();
  std::array<asio::const_buffer, 2> buffers{asio::const_buffer(front.bytes.data(), front.bytes.size()),
                                            asio::const_buffer(&newline, front.newline ? 1 : 0)};
  in_flight_ = 1;
  if (front.size() < staging_limit / 4 && queue_.size() > 1) {
    staging_.clear();
    in_flight_ = 0;
    for (const auto& e : queue_) {
      if (staging_.size() + e.size() > staging_limit) break;
      staging_.insert(staging_.end(), e.bytes.data(), e.bytes.data() + e.bytes.size());
      if (e.newline) staging_.push_back('\n');
      ++in_flight_;
    }
    buffers = {asio::const_buffer(staging_.data(), staging_.size()), asio::const_buffer()};
  }
  writing_ = true;
  asio::async_write(fd_, buffers, [self = shared_from_this()](std::error_code ec, std::size_t) {
    self->writing_ = false;
    if (self->failed_) return;
    if (ec) {
      self->failed_ = true;
      self->queue_.clear();
      self->queued_bytes_ = 0;
      if (self->on_error) self->on_error(ec);
      return;
    }
    for (std::size_t i = 0; i < self->in_flight_; ++i) {
      self->queued_bytes_ -= self->queue_.front().size();
      self->queue_.pop_front();
    }
    self->write_next();
  });
}

void FdWriter::close_when_drained() {
  close_when_drained_ = true;
  if (!writing_ && queue_.empty()) write_next();
}

void FdWriter::close() {
  queue_.clear();
  queued_bytes_ = 0;
  failed_ = true;
  std::error_code ignored;
  fd_.close(ignored);
}

}  // namespace taps::apps
