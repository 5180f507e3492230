// The Avro schema of archived events (click_event.avsc, compiled in by CMake so the file in
// the repository is the one source).
#pragma once
#include <avro.h>

#include <string_view>

namespace clickagg::archive {

std::string_view click_event_schema_json();
// Parsed once; lives as long as the process.
avro_schema_t click_event_schema();

}  // namespace clickagg::archive
