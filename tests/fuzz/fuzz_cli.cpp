// libFuzzer target for one tool's command line (FUZZ_TOOL_HEADER, FUZZ_TOOL_NAMESPACE):
// parse() with an argv made of the input's lines. A file-name value (--config,
// --metadata) names a file of FUZZ_FILE_DIR (a seed corpus) so that parsing reads real
// documents and never wanders the file system ('/' in it becomes '_').
// Checks, beyond the sanitizers (parse() never throws): it either accepts, or returns
// help/version (exit 0, text on stdout) or a usage error (exit 1, a message on stderr);
// for taps-cat, every framer that accepted options build delivers a one-byte message
// (an accepted --max-message is a usable one).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include FUZZ_TOOL_HEADER

#ifdef FUZZ_FRAMERS
#include "framing/framer_host.hpp"
#endif

namespace {

namespace tool = FUZZ_TOOL_NAMESPACE;
constexpr std::string_view file_options[] = {"--config", "--metadata"};

std::string in_file_dir(std::string name) {
  for (auto& c : name) {
    if (c == '/') c = '_';
  }
  return std::string(FUZZ_FILE_DIR) + "/" + name;
}

// Rewrites file-name values in place: "--config X" and "--config=X".
void confine_files(std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    for (auto option : file_options) {
      if (args[i] == option && i + 1 < args.size()) {
        args[i + 1] = in_file_dir(args[i + 1]);
        ++i;
        break;
      }
      if (args[i].size() > option.size() && args[i].starts_with(option) && args[i][option.size()] == '=') {
        args[i] = std::string(option) + "=" + in_file_dir(args[i].substr(option.size() + 1));
        break;
      }
    }
  }
}

#ifdef FUZZ_FRAMERS
// A one-byte message through `spec` as the peer would frame it.
bool delivers_one_byte(const taps::FramerSpec& spec) {
  const std::string wire = spec.name == "lp" ? std::string("\0\0\0\1a", 5) : std::string("a\n");
  std::string got;
  bool failed = false;
  taps::detail::FramerHost::Callbacks callbacks;
  callbacks.send = [](taps::Message) {};
  callbacks.deliver = [&](taps::Message&& m, taps::MessageContext&&, bool) { got += m.as_string_view(); };
  callbacks.ready = [] {};
  callbacks.failed = [&](taps::Error) { failed = true; };
  std::vector<std::unique_ptr<taps::Framer>> framers;
  framers.push_back(spec.factory());
  taps::detail::FramerHost host(std::move(framers), callbacks, false);
  host.start();
  host.received(reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size());
  return !failed && got == "a";
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"tool"};
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty() && args.size() < 64) {
    auto end = in.find('\n');
    args.emplace_back(in.substr(0, end));
    in.remove_prefix(end == std::string_view::npos ? in.size() : end + 1);
  }
  confine_files(args);

  const auto result = tool::parse(args);
  if (result.options) {
    if (result.exit_code != 0 || !result.error.empty()) std::abort();
#ifdef FUZZ_FRAMERS
    for (const auto& spec : result.options->preconnection.framers()) {
      if (!delivers_one_byte(spec)) std::abort();
    }
#endif
  } else if (result.exit_code == 0) {
    if (result.output.empty() || !result.error.empty()) std::abort();
  } else if (result.exit_code != 1 || result.error.empty() || result.error.front() == '\n') {
    std::abort();
  }
  return 0;
}
