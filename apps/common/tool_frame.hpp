// The command-line frame every tool shares: CLI11 with our help formatter, the options
// every tool has (--help, --version, --json, -v, --config), usage errors in our words
// (the option that is wrong and how to fix it, never CLI11's own phrasing), and the
// option table that shell completion is generated from. Each tool adds only its own
// options and checks.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_log.hpp"
#include "taps/preconnection.hpp"

namespace taps::apps {

// A tool that ends before it runs: help or version on stdout (code 0), or an error
// on stderr (usage errors: code 1, with a line that points to --help).
struct EarlyExit {
  int code = 0;
  std::string output;
  std::string error;
};

// What a tool's parse() decided: run with `options` (saying `warnings` first), or exit
// now with `exit_code` after printing `output` to stdout or `error` to stderr.
template <class Options>
struct ParseResult {
  ParseResult(Options parsed, std::vector<std::string> said = {})
      : options(std::move(parsed)), warnings(std::move(said)) {}
  ParseResult(EarlyExit exit) : exit_code(exit.code), output(std::move(exit.output)), error(std::move(exit.error)) {}

  std::optional<Options> options;
  int exit_code = 0;
  std::string output;
  std::string error;
  std::vector<std::string> warnings;
};

// "TOOL: MESSAGE" and the line that points to --help, exit code 1.
EarlyExit usage_error(std::string_view tool, std::string_view message);

class ToolFrame {
 public:
  // `synopsis`: the first lines of --help (what the tool is, how it is called);
  // `footer`: what follows the options (examples, exit codes, events, limits);
  // `column`: the width of the option column.
  ToolFrame(std::string tool, std::string synopsis, std::string footer, std::size_t column);

  CLI::App& app() noexcept { return app_; }
  const std::string& tool() const noexcept { return tool_; }

  // --config FILE, with the tool's words for what the file holds.
  // (--config, --json, -v and --version are added by parse(), after the tool's own.)
  void add_config_option(std::string help);
  // An option the tool cannot run without; checked after the unknown arguments, so
  // that a misspelt option is named as such rather than as a missing one.
  CLI::Option* require(CLI::Option* option);

  // Parses argv (argv[0] included): nothing when the tool should go on, else how it ends
  // (--help, --version, a usage error).
  std::optional<EarlyExit> parse(const std::vector<std::string>& args);

  EarlyExit usage_error(std::string_view message) const { return taps::apps::usage_error(tool_, message); }
  Verbosity verbosity() const noexcept;
  bool has_config() const noexcept { return !config_file_.empty(); }
  const std::string& config_file() const noexcept { return config_file_; }
  // The Preconnection of --config into `into` (untouched without --config), or the
  // usage error when the file cannot be read or is not a Preconnection.
  std::optional<EarlyExit> load_config(taps::Preconnection& into) const;

 private:
  void add_common_options();
  std::string describe(const CLI::ParseError& error) const;
  std::string describe_unexpected(const std::string& argument) const;
  std::string metavar(std::string_view name) const;
  std::string option_table() const;

  std::string tool_;
  CLI::App app_;
  std::vector<CLI::Option*> required_;
  std::string config_help_;
  std::string config_file_;
  bool json_ = false, verbose_ = false, version_ = false, list_options_ = false;
};

}  // namespace taps::apps
