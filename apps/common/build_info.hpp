// What --version says about the build: generated at build time (cmake/build_info.cmake).
#pragma once

#include <string>
#include <string_view>

namespace taps::apps {

extern const char* const build_commit;  // short git commit, "-modified" when the tree was
extern const char* const build_type;    // CMAKE_BUILD_TYPE

// The text of every tool's --version: the first line is "TOOL VERSION" (help2man reads
// it), then the commit, the build type and the libraries that do the cryptography.
std::string version_text(std::string_view tool);

}  // namespace taps::apps
