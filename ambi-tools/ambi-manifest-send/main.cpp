#include "ambi-manifest-send/options.hpp"
#include "ambi-manifest-send/run.hpp"
#include "common/tool_main.hpp"

int main(int argc, char** argv) {
  return taps::apps::tool_main(argc, argv,
                               taps::apps::Tool<ambi_manifest_send::Options>{"ambi-manifest-send", ambi_manifest_send::parse, ambi_manifest_send::run, {}});
}
