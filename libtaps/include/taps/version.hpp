#pragma once

namespace taps {
inline constexpr const char* version = "0.1.0";
}
