// The key-file options of the commands that speak ZeroMQ (sink, aggregator), read into the
// CURVE settings of emit/curve.h; a missing or bad file is bad usage.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "host/emit/curve.h"

namespace clickagg::cli {

// --curve-secret FILE (this process's .key) with the peers' public keys: the server side.
// nullopt when no secret is given (then `allow` must be empty).
std::optional<emit::CurveServer> curve_server(const std::string& secret_file, const std::vector<std::string>& allow_files,
                                              const char* allow_flag);
// --curve-secret FILE with the server's public key file: the client side; nullopt when
// neither is given, bad usage when only one is.
std::optional<emit::CurveClient> curve_client(const std::string& secret_file, const std::string& server_public_file,
                                              const char* server_flag);

}  // namespace clickagg::cli
