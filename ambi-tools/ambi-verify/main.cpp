#include <cstdio>
#include <string>
#include <vector>

#include "ambi-verify/options.hpp"
#include "ambi-verify/run.hpp"
#include "common/exit_codes.hpp"
#include "common/process_setup.hpp"

int main(int argc, char** argv) {
  auto stdio = taps::apps::reopen_closed_stdio();
  taps::apps::raise_descriptor_limit();
  auto parsed = ambi_verify::parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) {
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (!parsed.error.empty()) std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return parsed.exit_code;
  }
  for (const auto& warning : parsed.warnings) std::fprintf(stderr, "ambi-verify: warning: %s\n", warning.c_str());
  if (stdio.stdout_closed && parsed.options->output != ambi_verify::Output::none) {
    std::fprintf(stderr, "ambi-verify: standard output is closed: nowhere to write verified payloads (use -o none or "
                         ">/dev/null)\n");
    return taps::apps::exit_usage;
  }
  return ambi_verify::run(*parsed.options);
}
