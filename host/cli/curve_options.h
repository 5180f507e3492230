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

// The PUB socket's settings (--pub, --curve-secret, --pub-curve, --pub-allow, --insecure):
// its CURVE server side when asked for; bad usage when keys are missing or when it would bind
// beyond this host unsecured without --insecure.
std::optional<emit::CurveServer> pub_curve(const std::string& pub_endpoint, const std::string& secret_file,
                                           bool pub_curve, const std::vector<std::string>& allow_files, bool insecure);

// emit::check_exposure as bad usage: a socket that would listen beyond this host unsecured.
void check_listen_exposure(const std::string& what, const std::string& endpoint, bool secured, bool insecure);

}  // namespace clickagg::cli
