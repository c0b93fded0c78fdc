#include <cstdio>
#include <string>
#include <vector>

#include "ambi-verify/options.hpp"
#include "ambi-verify/run.hpp"

int main(int argc, char** argv) {
  auto parsed = ambi_verify::parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) {
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (!parsed.error.empty()) std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return parsed.exit_code;
  }
  for (const auto& warning : parsed.warnings) std::fprintf(stderr, "ambi-verify: warning: %s\n", warning.c_str());
  return ambi_verify::run(*parsed.options);
}
