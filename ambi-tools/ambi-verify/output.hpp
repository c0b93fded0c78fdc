// How a verified payload is written to stdout (-o raw|lines|hex|none).
#pragma once

#include "ambi-verify/options.hpp"
#include "taps/message.hpp"

namespace ambi_verify {

// The bytes for stdout; empty for Output::none.
taps::Message render(Output output, taps::Message payload);

}  // namespace ambi_verify
