// The page served at "/": a small self-contained table of the most clicked ads that polls
// the popular_ads endpoint. No external assets, so it works on an offline node.
#pragma once
#include <string_view>

namespace clickagg::serve {

std::string_view dashboard_page();

}  // namespace clickagg::serve
