#include "host/cli/curve_options.h"

#include <stdexcept>

#include "host/cli/commands.h"

namespace clickagg::cli {

namespace {

template <class F>
auto usage_on_failure(F&& f) {
  try {
    return f();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

std::optional<emit::CurveServer> curve_server(const std::string& secret_file, const std::vector<std::string>& allow_files,
                                              const char* allow_flag) {
  if (secret_file.empty()) {
    if (!allow_files.empty()) throw UsageError(std::string(allow_flag) + " needs --curve-secret");
    return std::nullopt;
  }
  emit::CurveServer s;
  s.own = usage_on_failure([&] { return emit::read_key_pair(secret_file); });
  for (const std::string& f : allow_files) s.allowed.insert(usage_on_failure([&] { return emit::read_public_key(f); }));
  return s;
}

std::optional<emit::CurveClient> curve_client(const std::string& secret_file, const std::string& server_public_file,
                                              const char* server_flag) {
  if (secret_file.empty() && server_public_file.empty()) return std::nullopt;
  if (secret_file.empty() || server_public_file.empty())
    throw UsageError(std::string("--curve-secret and ") + server_flag + " go together");
  emit::CurveClient c;
  c.own = usage_on_failure([&] { return emit::read_key_pair(secret_file); });
  c.server_public_key = usage_on_failure([&] { return emit::read_public_key(server_public_file); });
  return c;
}

std::optional<emit::CurveServer> pub_curve(const std::string& pub_endpoint, const std::string& secret_file,
                                           bool pub_curve, const std::vector<std::string>& allow_files, bool insecure) {
  std::optional<emit::CurveServer> keys;
  if (pub_curve || !allow_files.empty()) {
    if (secret_file.empty()) throw UsageError("--pub-curve and --pub-allow need --curve-secret");
    keys = curve_server(secret_file, allow_files, "--pub-allow");
  }
  if (!pub_endpoint.empty()) check_listen_exposure("the PUB socket", pub_endpoint, keys.has_value(), insecure);
  return keys;
}

void check_listen_exposure(const std::string& what, const std::string& endpoint, bool secured, bool insecure) {
  usage_on_failure([&] {
    emit::check_exposure(what, endpoint, secured, insecure);
    return 0;
  });
}

}  // namespace clickagg::cli
