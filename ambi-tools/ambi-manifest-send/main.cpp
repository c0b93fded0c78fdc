#include <cstdio>
#include <string>
#include <vector>

#include "ambi-manifest-send/options.hpp"
#include "ambi-manifest-send/run.hpp"
#include "common/process_setup.hpp"

int main(int argc, char** argv) {
  taps::apps::reopen_closed_stdio();
  taps::apps::raise_descriptor_limit();
  auto parsed = ambi_manifest_send::parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) {
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (!parsed.error.empty()) std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return parsed.exit_code;
  }
  return ambi_manifest_send::run(*parsed.options);
}
