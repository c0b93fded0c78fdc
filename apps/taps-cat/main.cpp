#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/process_setup.hpp"
#include "taps-cat/options.hpp"
#include "taps-cat/run.hpp"

int main(int argc, char** argv) {
  auto stdio = taps::apps::reopen_closed_stdio();
  taps::apps::raise_descriptor_limit();
  // Bulk transfers allocate and free buffers of 256 KiB at a high rate. By default glibc
  // gives that memory back to the kernel and faults it in again at every turn: a third
  // of the CPU time of a TLS transfer went to page faults. Keep it instead.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  auto parsed = taps_cat::parse(std::vector<std::string>(argv, argv + argc));
  if (!parsed.options) {
    if (!parsed.output.empty()) std::fputs(parsed.output.c_str(), stdout);
    if (!parsed.error.empty()) std::fprintf(stderr, "%s\n", parsed.error.c_str());
    return parsed.exit_code;
  }
  return taps_cat::run(*parsed.options, stdio);
}
