#include "ambi-verify/options.hpp"
#include "ambi-verify/run.hpp"
#include "common/tool_main.hpp"

int main(int argc, char** argv) {
  return taps::apps::tool_main(argc, argv,
                               taps::apps::Tool<ambi_verify::Options>{"ambi-verify", ambi_verify::parse, ambi_verify::run, {.stdout_pipe = true}});
}
