// --help for our tools: each tool's description already shows its synopsis with the
// positional arguments named (HOST PORT, GROUP PORT), so CLI11's generated usage line
// and its "args TEXT" positional section would only repeat it less clearly; and an
// option's text says what it conflicts with better than "Excludes: ..." does.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace taps::apps {

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override { return {}; }
  // One newline after the description, whether or not its text ends with one.
  std::string make_description(const CLI::App* app) const override {
    auto text = CLI::Formatter::make_description(app);
    while (text.size() >= 2 && text.ends_with("\n\n")) text.pop_back();
    return text;
  }
  std::string make_positionals(const CLI::App*) const override { return {}; }
  std::string make_option_opts(const CLI::Option* option) const override {
    auto name = option->get_type_name();
    return name.empty() ? std::string() : " " + name;
  }
};

// Installs HelpFormatter with the option column `width` characters wide.
inline void use_help_formatter(CLI::App& app, std::size_t width) {
  auto formatter = std::make_shared<HelpFormatter>();
  formatter->column_width(width);
  app.formatter(formatter);
}

}  // namespace taps::apps
