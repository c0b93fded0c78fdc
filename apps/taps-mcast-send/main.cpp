#include "common/tool_main.hpp"
#include "taps-mcast-send/options.hpp"
#include "taps-mcast-send/run.hpp"

int main(int argc, char** argv) {
  return taps::apps::tool_main(argc, argv,
                               taps::apps::Tool<taps_mcast_send::Options>{"taps-mcast-send", taps_mcast_send::parse,
                                                                          taps_mcast_send::run, {}});
}
