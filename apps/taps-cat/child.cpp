#include "taps-cat/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace taps_cat {

Child spawn_shell(const std::string& command, std::error_code& ec) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    ec = {errno, std::system_category()};
    return {};
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ec = {errno, std::system_category()};
    ::close(in[0]);
    ::close(in[1]);
    return {};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ec = {errno, std::system_category()};
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return {};
  }
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::close_range(3, ~0U, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  return {pid, in[1], out[0]};
}

std::vector<ExitedChild> reap_children() {
  std::vector<ExitedChild> exited;
  int status = 0;
  for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) exited.push_back({pid, status});
  return exited;
}

}  // namespace taps_cat
