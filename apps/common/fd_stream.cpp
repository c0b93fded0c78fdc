#include "common/fd_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

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

FdReader::FdReader(taps::Context& ctx, int fd) : ctx_(ctx), watch_(ctx, fd) {}

void FdReader::read(std::size_t max, Done done) {
  if (max > capacity_) {
    buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(max);
    capacity_ = max;
  }
  attempt(max, std::move(done), false);
}

// The read is tried first and the loop asked only when it would block: a busy pipe
// costs one system call per chunk, as it did with Asio's speculative reads.
void FdReader::attempt(std::size_t max, Done done, bool on_loop) {
  ssize_t n;
  do {
    n = ::read(watch_.fd(), buffer_.get(), max);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    watch_.wait_readable([self = shared_from_this(), max, done = std::move(done)]() mutable {
      self->attempt(max, std::move(done), true);
    });
    return;
  }
  std::error_code ec;
  std::vector<std::uint8_t> bytes;
  if (n < 0) ec.assign(errno, std::system_category());
  else bytes.assign(buffer_.get(), buffer_.get() + n);
  if (on_loop) {
    done(ec, std::move(bytes));
    return;
  }
  ctx_.post([self = shared_from_this(), done = std::move(done), ec, bytes = std::move(bytes)]() mutable {
    done(ec, std::move(bytes));
  });
}

void FdReader::close() { watch_.close(); }

FdWriter::FdWriter(taps::Context& ctx, int fd) : ctx_(ctx), watch_(ctx, fd) {}

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
    if (close_when_drained_) watch_.close();
    if (on_drained) on_drained();
    return;
  }
  constexpr std::size_t staging_limit = 256 * 1024;
  const auto& front = queue_.front();
  out_ = front.bytes.data();
  out_size_ = front.bytes.size();
  out_newline_ = front.newline;
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
    out_ = staging_.data();
    out_size_ = staging_.size();
    out_newline_ = false;
  }
  out_done_ = 0;
  writing_ = true;
  write_some(false);
}

void FdWriter::write_some(bool on_loop) {
  static constexpr char newline = '\n';
  std::size_t total = out_size_ + (out_newline_ ? 1 : 0);
  std::error_code ec;
  while (out_done_ < total) {
    iovec parts[2];
    int count = 0;
    if (out_done_ < out_size_) parts[count++] = {const_cast<std::uint8_t*>(out_) + out_done_, out_size_ - out_done_};
    if (out_newline_) parts[count++] = {const_cast<char*>(&newline), 1};
    ssize_t n = ::writev(watch_.fd(), parts, count);
    if (n > 0) {
      out_done_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      watch_.wait_writable([self = shared_from_this()] { self->write_some(true); });
      return;
    }
    // write(2) takes nothing from a non-empty buffer only on an error.
    ec = n < 0 ? std::error_code(errno, std::system_category()) : std::make_error_code(std::errc::io_error);
    break;
  }
  if (on_loop) {
    written(ec);
    return;
  }
  ctx_.post([self = shared_from_this(), ec] { self->written(ec); });
}

void FdWriter::written(std::error_code ec) {
  writing_ = false;
  if (failed_) return;
  if (ec) {
    failed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    if (on_error) on_error(ec);
    return;
  }
  for (std::size_t i = 0; i < in_flight_; ++i) {
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
  }
  write_next();
}

void FdWriter::close_when_drained() {
  close_when_drained_ = true;
  if (!writing_ && queue_.empty()) write_next();
}

void FdWriter::close() {
  queue_.clear();
  queued_bytes_ = 0;
  failed_ = true;
  watch_.close();
}

}  // namespace taps::apps
