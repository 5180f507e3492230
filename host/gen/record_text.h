// The text formats' field layout, shared by well-formed and corrupt records so both are
// rendered by the same code and differ only in the fields a corruption touches.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "host/gen/gen_event.h"

namespace clickagg::gen {

struct TextRecord {
  std::string_view ad_id, user_id, ip, country, click_id;
  std::string_view user_suffix;  // raw bytes appended to user_id (corruptions)
  int64_t t_ms = 0;
  TimestampForm ts_form = TimestampForm::LogText;
  std::string_view bad_time;  // written verbatim (as a JSON string) in place of t_ms
  bool has_bad_time = false;
  bool drop_field = false;    // log: leave out country and click_id; json: leave out "ip"
  bool extra_fields = false;  // log: two fields too many
};

TextRecord text_record(const GenEvent& ev);
void render_log(const TextRecord& r, std::string& out);
void render_json(const TextRecord& r, std::string& out);

}  // namespace clickagg::gen
