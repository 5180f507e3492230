// Results written as text in tests: a window as (minute, correction, rows by name).
#pragma once
#include <cstdint>
#include <vector>

#include "host/engine/results.h"

namespace clickagg::testing_support {

struct Win {
  int64_t minute = 0;
  bool correction = false;
  std::vector<NamedRow> rows;
};

inline std::vector<WindowResult> windows_of(const std::vector<Win>& ws) {
  std::vector<WindowResult> out;
  for (const Win& w : ws) out.push_back(make_window(w.minute, w.rows, w.correction));
  return out;
}

}  // namespace clickagg::testing_support
