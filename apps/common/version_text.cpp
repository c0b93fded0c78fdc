#include <fmt/format.h>
#include <openssl/crypto.h>

#include "common/build_info.hpp"
#include "taps/version.hpp"

namespace taps::apps {

std::string version_text(std::string_view tool) {
  return fmt::format("{} {}\ncommit {}, {} build\n{}\n", tool, taps::version, build_commit, build_type,
                     OpenSSL_version(OPENSSL_VERSION));
}

}  // namespace taps::apps
