// clickagg keygen: a CURVE key pair for the ZeroMQ channels, as NAME.key (secret, mode 0600)
// and NAME.pub (to hand to the peers); prints the public key.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/emit/curve.h"

namespace clickagg::cli {

void register_keygen(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  auto settings = std::make_shared<CommandSettings>(app, kKeygen);
  settings->bind("out", *out);
  settings->on_run([out, settings] {
    try {
      const emit::CurveKeyPair keys = emit::generate_curve_keys();
      emit::write_key_files(*out, keys);
      std::printf("%s\n", keys.public_key.c_str());
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  });
}

}  // namespace clickagg::cli
