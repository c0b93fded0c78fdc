// How a receiving tool writes each payload to stdout (-o raw|lines|hex|none).
#pragma once

#include "taps/message.hpp"

namespace taps::apps {

enum class PayloadOutput { raw, lines, hex, none };

// The bytes for stdout: raw as is, lines with a newline, hex as one line of hex digits;
// none writes nothing (callers skip the write).
taps::Message render_payload(PayloadOutput output, taps::Message payload);

}  // namespace taps::apps
