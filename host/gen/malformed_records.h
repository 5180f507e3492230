// Corrupt records, one per MalformedKind and format, each built from a well-formed event so
// the rest of the record still looks real (a decoder has to find the one bad part).
#pragma once
#include <string>

#include "host/gen/gen_event.h"

namespace clickagg::gen {

void append_malformed_log(const GenEvent& ev, std::string& out);
void append_malformed_json(const GenEvent& ev, std::string& out);
void append_malformed_binary(const GenEvent& ev, std::string& out);

}  // namespace clickagg::gen
