#include "common/tool_frame.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/build_info.hpp"
#include "common/exit_codes.hpp"
#include "common/help_formatter.hpp"
#include "taps/config.hpp"

namespace taps::apps {
namespace {

// Splits "LEFT<separator>RIGHT"; nothing when the separator is not there.
std::optional<std::pair<std::string, std::string>> split_at(const std::string& text, std::string_view separator) {
  auto at = text.find(separator);
  if (at == std::string::npos) return std::nullopt;
  return std::pair{text.substr(0, at), text.substr(at + separator.size())};
}

}  // namespace

EarlyExit usage_error(std::string_view tool, std::string_view message) {
  return {exit_usage, {}, fmt::format("{}: {}\nTry '{} --help' for more information.", tool, message, tool)};
}

ToolFrame::ToolFrame(std::string tool, std::string synopsis, std::string footer, std::size_t column)
    : tool_(std::move(tool)), app_(std::move(synopsis), tool_) {
  app_.footer(std::move(footer));
  app_.set_help_flag("-h,--help", "Print this help and exit");
  use_help_formatter(app_, column);
  // Unknown arguments are collected rather than thrown, so that they are named in our
  // words and before any missing required option.
  app_.allow_extras(true);
}

void ToolFrame::add_config_option(std::string help) { config_help_ = std::move(help); }

// After the tool's own options, so that --help lists what is particular to the tool first.
void ToolFrame::add_common_options() {
  if (!config_help_.empty()) app_.add_option("--config", config_file_, config_help_)->type_name("FILE");
  auto* json = app_.add_flag("--json", json_, "Events as JSON Lines on stderr");
  app_.add_flag("-v,--verbose", verbose_, "Events as text on stderr")->excludes(json);
  app_.add_flag("--version", version_, "Print the version and exit");
  // For packaging/gen-completion: completion follows this table, never a copy of it.
  app_.add_flag("--list-options", list_options_)->group("");
}

CLI::Option* ToolFrame::require(CLI::Option* option) {
  required_.push_back(option);
  return option;
}

Verbosity ToolFrame::verbosity() const noexcept {
  return json_ ? Verbosity::json : verbose_ ? Verbosity::verbose : Verbosity::quiet;
}

std::optional<EarlyExit> ToolFrame::parse(const std::vector<std::string>& args) {
  // CLI11 takes the arguments last first.
  add_common_options();
  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app_.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return EarlyExit{exit_ok, app_.help(), {}};
  } catch (const CLI::ParseError& error) {
    if (version_) return EarlyExit{exit_ok, version_text(tool_), {}};
    return usage_error(describe(error));
  }
  if (version_) return EarlyExit{exit_ok, version_text(tool_), {}};
  if (list_options_) return EarlyExit{exit_ok, option_table(), {}};
  if (auto extras = app_.remaining(); !extras.empty()) return usage_error(describe_unexpected(extras.front()));
  for (const auto* option : required_) {
    if (option->count() == 0) {
      auto what = option->get_description();
      if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
      return usage_error(fmt::format("{} {} is required ({})", option->get_name(), metavar(option->get_name()), what));
    }
  }
  return std::nullopt;
}

std::optional<EarlyExit> ToolFrame::load_config(taps::Preconnection& into) const {
  if (config_file_.empty()) return std::nullopt;
  auto loaded = taps::preconnection_from_json_file(config_file_);
  if (!loaded) return usage_error(fmt::format("--config: {}", loaded.error().message()));
  into = std::move(loaded.value());
  return std::nullopt;
}

std::string ToolFrame::metavar(std::string_view name) const {
  const auto* option = app_.get_option_no_throw(std::string(name));
  return option ? option->get_type_name() : std::string();
}

// CLI11's messages name the option first; they are rephrased here, one kind of error
// at a time, so that each says what to give instead.
std::string ToolFrame::describe(const CLI::ParseError& error) const {
  std::string text = error.what();
  if (dynamic_cast<const CLI::ExcludesError*>(&error)) {
    if (auto parts = split_at(text, " excludes ")) {
      return fmt::format("{} and {} cannot be used together: give one of them", parts->first, parts->second);
    }
  }
  if (dynamic_cast<const CLI::RequiresError*>(&error)) {
    if (auto parts = split_at(text, " requires ")) return fmt::format("{} needs {} too", parts->first, parts->second);
  }
  if (dynamic_cast<const CLI::ConversionError*>(&error)) {
    if (auto parts = split_at(text, "Could not convert: ")) {
      if (auto value = split_at(parts->second, " = ")) {
        auto name = value->first;
        auto meta = metavar(name);
        return fmt::format("{} '{}' is not a valid {}: see --help for what {} takes", name, value->second,
                           meta.empty() ? "value" : meta, name);
      }
    }
    if (auto parts = split_at(text, ": ")) return fmt::format("{} takes no value", parts->first);
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error)) {
    if (auto parts = split_at(text, ": ")) {
      const auto& name = parts->first;
      if (parts->second.find(" missing") != std::string::npos) {
        auto meta = metavar(name);
        return fmt::format("{} needs a value{}", name, meta.empty() ? "" : " (" + meta + ")");
      }
      return fmt::format("{} was given too many values", name);
    }
    if (auto parts = split_at(text, " was given")) return fmt::format("{} takes no value", parts->first);
  }
  return text;
}

std::string ToolFrame::describe_unexpected(const std::string& argument) const {
  if (argument.size() < 2 || argument[0] != '-') {
    return fmt::format("unexpected argument '{}'", argument);
  }
  auto given = argument.substr(0, argument.find('='));
  std::vector<std::string> names;
  for (const auto* option : app_.get_options()) {
    if (option->get_group().empty()) continue;
    for (const auto& name : option->get_lnames()) names.push_back("--" + name);
  }
  auto closest = given.starts_with("--") ? taps::closest_name(given, {names.begin(), names.end()}) : std::nullopt;
  if (!closest) return fmt::format("unknown option '{}'", given);
  return fmt::format("unknown option '{}' (did you mean {}?)", given, *closest);
}

std::string ToolFrame::option_table() const {
  std::string table;
  for (const auto* option : app_.get_options()) {
    if (option->get_group().empty() || option->get_positional()) continue;
    std::vector<std::string> names;
    for (const auto& s : option->get_snames()) names.push_back("-" + s);
    for (const auto& l : option->get_lnames()) names.push_back("--" + l);
    table += fmt::format("{}\t{}\n", fmt::join(names, ","), option->get_type_size_max() > 0 ? option->get_type_name() : "");
  }
  return table;
}

}  // namespace taps::apps
