#include "host/engine/window_move.h"

namespace clickagg {

WindowMove plan_window_move(const std::set<int64_t>& held, std::span<const int64_t> present, int64_t lo, int64_t e) {
  WindowMove mv;
  for (int64_t m : held)
    if (m < lo || m > e) mv.drop.push_back(m);
  if (mv.drop.size() > held.size() - mv.drop.size()) {
    // Cheaper to add up what the window holds than to take off what it lost.
    mv.restart = true;
    mv.drop.clear();
    mv.add.assign(present.begin(), present.end());
    return mv;
  }
  for (int64_t m : present)
    if (!held.count(m)) mv.add.push_back(m);
  return mv;
}

void apply_window_move(const WindowMove& mv, std::set<int64_t>& held) {
  if (mv.restart) held.clear();
  for (int64_t m : mv.drop) held.erase(m);
  held.insert(mv.add.begin(), mv.add.end());
}

}  // namespace clickagg
