// main() of every tool: the process set-up before parsing, the early exits (help,
// version, usage errors), and the frame around the tool's run(): its event log, the
// warnings parsing left, SIGPIPE, stdio flags and pipe sizes, and the stop signals held
// once the exit code is decided.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_log.hpp"
#include "common/process_setup.hpp"
#include "common/tool_frame.hpp"

namespace taps::apps {

// The pipes a tool streams bulk data through: larger pipe buffers (1 MiB) mean fewer
// wake-ups per megabyte.
struct BulkPipes {
  bool stdin_pipe = false;
  bool stdout_pipe = false;
};

template <class Options>
struct Tool {
  std::string_view name;
  ParseResult<Options> (*parse)(const std::vector<std::string>& args);
  int (*run)(const Options& options, EventLog& log, const StdioAtStart& stdio);
  BulkPipes pipes;
};

// Prints what an early exit prints and returns its code.
int finish_early(int code, const std::string& output, const std::string& error);

// Runs `body` inside the frame described above and returns its exit code.
int run_framed(EventLog& log, const std::vector<std::string>& warnings, BulkPipes pipes,
               const std::function<int()>& body);

template <class Options>
int tool_main(int argc, char** argv, const Tool<Options>& tool) {
  auto stdio = reopen_closed_stdio();
  raise_descriptor_limit();
  auto parsed = tool.parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) return finish_early(parsed.exit_code, parsed.output, parsed.error);
  EventLog log(std::string(tool.name), parsed.options->verbosity);
  return run_framed(log, parsed.warnings, tool.pipes, [&] { return tool.run(*parsed.options, log, stdio); });
}

}  // namespace taps::apps
