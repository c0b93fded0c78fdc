#include "common/tool_main.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "common/exit_codes.hpp"
#include "common/fd_stream.hpp"

namespace taps::apps {

int finish_early(int code, const std::string& output, const std::string& error) {
  if (!output.empty()) std::fputs(output.c_str(), stdout);
  if (!error.empty()) std::fprintf(stderr, "%s\n", error.c_str());
  return code;
}

int run_framed(EventLog& log, const std::vector<std::string>& warnings, BulkPipes pipes,
               const std::function<int()>& body) {
  for (const auto& warning : warnings) log.warning(warning);
  // A closed stdout or socket must be an error we report, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  StdioFlagsGuard guard;
  if (pipes.stdin_pipe) grow_pipe(STDIN_FILENO, 1 << 20);
  if (pipes.stdout_pipe) grow_pipe(STDOUT_FILENO, 1 << 20);
  int code = body();
  hold_stop_signals();
  return code;
}

}  // namespace taps::apps
