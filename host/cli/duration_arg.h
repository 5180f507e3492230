// Every duration option of every command is read by this one rule: a whole number with its
// unit (250ms, 15s, 10m, 2h), or 0 alone. A bare number is refused rather than guessed at.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace clickagg::cli {

// What every refusal of a duration says.
inline constexpr const char* kDurationForms =
    "a duration is a whole number with its unit, e.g. 250ms, 15s, 10m, 2h (0 needs none)";

// Throws UsageError naming the option and the accepted forms.
std::chrono::milliseconds duration_arg(std::string_view flag, const std::string& text);

}  // namespace clickagg::cli
