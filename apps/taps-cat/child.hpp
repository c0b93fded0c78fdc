// -e CMD: a child process whose stdin and stdout are pipes that taps-cat pumps.
#pragma once

#include <string>
#include <system_error>
#include <vector>

namespace taps_cat {

struct Child {
  int pid = -1;
  int to_child = -1;    // write end: the child's stdin
  int from_child = -1;  // read end: the child's stdout
};

// Starts /bin/sh -c `command`. The child inherits no other descriptor of ours, so
// that closing a connection here really closes it.
Child spawn_shell(const std::string& command, std::error_code& ec);

struct ExitedChild {
  int pid;
  int wait_status;
};

// Collects every child that has exited (no zombies under -k).
std::vector<ExitedChild> reap_children();

}  // namespace taps_cat
