#include <cstdio>
#include <string>
#include <vector>

#include "taps-mcast-send/options.hpp"
#include "taps-mcast-send/responder.hpp"
#include "taps-mcast-send/run.hpp"
#include "common/process_setup.hpp"

int main(int argc, char** argv) {
  taps::apps::reopen_closed_stdio();
  taps::apps::raise_descriptor_limit();
  auto parsed = taps_mcast_send::parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) {
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (!parsed.error.empty()) std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return parsed.exit_code;
  }
  if (parsed.options->responder) return taps_mcast_send::run_responder(*parsed.options);
  return taps_mcast_send::run(*parsed.options);
}
