// SIGINT and SIGTERM as a stop request for the long-running pipeline commands (aggregator,
// sink), as a flag their loops poll: the first signal asks for a clean stop (finish the
// transaction or checkpoint in progress); a second one terminates the default way, for when
// the clean stop itself is stuck.
#pragma once
#include <atomic>

namespace clickagg::cli {

const std::atomic<bool>& install_stop_flag();

}  // namespace clickagg::cli
