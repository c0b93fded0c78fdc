#include <malloc.h>

#include "common/tool_main.hpp"
#include "taps-cat/options.hpp"
#include "taps-cat/run.hpp"

int main(int argc, char** argv) {
  // Bulk transfers allocate and free buffers of 256 KiB at a high rate. By default glibc
  // gives that memory back to the kernel and faults it in again at every turn: a third
  // of the CPU time of a TLS transfer went to page faults. Keep it instead.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  return taps::apps::tool_main(argc, argv,
                               taps::apps::Tool<taps_cat::Options>{"taps-cat", taps_cat::parse, taps_cat::run,
                                                                   {.stdin_pipe = true, .stdout_pipe = true}});
}
