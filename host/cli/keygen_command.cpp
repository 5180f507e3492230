// clickagg keygen: a CURVE key pair for the ZeroMQ channels, as NAME.key (secret, mode 0600)
// and NAME.pub (to hand to the peers); prints the public key.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "host/cli/commands.h"
#include "host/emit/curve.h"

namespace clickagg::cli {

void register_keygen(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("keygen", "Make a CURVE key pair for the sink, an aggregator or a subscriber");
  cmd->add_option("--out", *out, "Writes OUT.key (secret, owner only) and OUT.pub; never overwrites")->required();
  cmd->callback([out] {
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
