// How a receiving tool writes each payload to stdout (-o raw|lines|hex|lp|none).
#pragma once

#include "taps/message.hpp"

namespace taps::apps {

enum class PayloadOutput { raw, lines, hex, lp, none };

// The bytes for stdout: raw as is, lines with a newline (unless it ends with one), hex
// as one line of hex digits, lp with a 4-byte big-endian length first (datagram
// boundaries survive a pipe, whatever the payload holds); none writes nothing.
taps::Message render_payload(PayloadOutput output, taps::Message payload);

}  // namespace taps::apps
