// The configuration reference (docs/configuration.md) and the man page (clickagg.1), both
// written from the settings table so they always say what the binary does.
#pragma once
#include <string>

namespace clickagg::cli {

std::string settings_markdown();
std::string settings_man_page(const std::string& version);

}  // namespace clickagg::cli
