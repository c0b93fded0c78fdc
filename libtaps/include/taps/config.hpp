// The JSON form of a Preconnection (DESIGN.md section 4), read by --config and
// written by --print-config.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "taps/error.hpp"
#include "taps/preconnection.hpp"

namespace taps {

// Parses JSON text into a Preconnection. Unknown keys and bad values fail with
// errc::invalid_configuration and a detail that starts with the JSON path
// ("$.transportProperties.reliability: expected one of require, prefer, ...").
Result<Preconnection> preconnection_from_json(std::string_view text);

// Reads and parses a file; a missing or unreadable file is an error naming the path.
Result<Preconnection> preconnection_from_json_file(const std::string& path);

// The effective configuration as pretty-printed JSON that preconnection_from_json reads
// back to an equal Preconnection.
std::string preconnection_to_json(const Preconnection& p);

// The name of `known` closest to a misspelt `given` when it is at most two edits away,
// for the "did you mean" of configuration keys and of the tools' options.
std::optional<std::string_view> closest_name(std::string_view given, const std::vector<std::string_view>& known);

}  // namespace taps
