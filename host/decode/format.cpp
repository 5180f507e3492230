#include "host/decode/decode.h"

namespace clickagg {

std::optional<Format> parse_format(std::string_view name) {
  if (name == "log") return Format::Log;
  if (name == "json") return Format::Json;
  if (name == "binary") return Format::Binary;
  if (name == "auto") return Format::Auto;
  return std::nullopt;
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::Log: return "log";
    case Format::Json: return "json";
    case Format::Binary: return "binary";
    case Format::Auto: return "auto";
  }
  return "unknown";
}

}  // namespace clickagg
