#include "common/tool_main.hpp"
#include "taps-mcast-recv/options.hpp"
#include "taps-mcast-recv/run.hpp"

int main(int argc, char** argv) {
  return taps::apps::tool_main(argc, argv,
                               taps::apps::Tool<taps_mcast_recv::Options>{"taps-mcast-recv", taps_mcast_recv::parse,
                                                                          taps_mcast_recv::run, {.stdout_pipe = true}});
}
