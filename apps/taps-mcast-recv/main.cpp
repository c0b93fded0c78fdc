#include <cstdio>
#include <string>
#include <vector>

#include "taps-mcast-recv/options.hpp"
#include "taps-mcast-recv/ping.hpp"
#include "taps-mcast-recv/run.hpp"
#include "common/exit_codes.hpp"
#include "common/process_setup.hpp"

int main(int argc, char** argv) {
  auto stdio = taps::apps::reopen_closed_stdio();
  taps::apps::raise_descriptor_limit();
  auto parsed = taps_mcast_recv::parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) {
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (!parsed.error.empty()) std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return parsed.exit_code;
  }
  if (parsed.options->ping) return taps_mcast_recv::run_ping(*parsed.options);
  if (stdio.stdout_closed && parsed.options->output != taps_mcast_recv::Output::none) {
    std::fprintf(stderr, "taps-mcast-recv: standard output is closed: nowhere to write payloads (use -o none or "
                         ">/dev/null)\n");
    return taps::apps::exit_usage;
  }
  return taps_mcast_recv::run(*parsed.options);
}
