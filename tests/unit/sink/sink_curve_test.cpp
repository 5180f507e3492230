// CURVE on the channel to the sink: only aggregators whose keys the sink admits get anything
// written; a stranger's key and a client without CURVE are refused. Key files, and the rule
// that a channel listens beyond this host only when secured or told --insecure.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zmq.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "host/emit/acked_channel.h"
#include "host/emit/curve.h"
#include "host/emit/envelope_codec.h"
#include "host/sink/sink_service.h"
#include "tests/unit/emit/free_endpoint.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::sink {
namespace {

using std::chrono::milliseconds;

emit::Body window(uint64_t i) { return make_window(1000 + static_cast<int64_t>(i), {{"ad", 0, i}}, false); }

// Sends results 1..n as `producer` and reports whether the sink acknowledged them all.
bool deliver(zmq::context_t& ctx, const std::string& ep, const std::string& producer, const emit::CurveClient* curve,
             uint64_t n, milliseconds wait) {
  emit::AckedChannel ch(ctx, ep, producer, 1000, milliseconds(200), curve);
  for (uint64_t i = 1; i <= n; ++i) ch.send(i, emit::encode({producer, i, window(i)}));
  return ch.drain(wait);
}

TEST(SinkCurve, OnlyAdmittedAggregatorsAreWritten) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("sink.db");
  const std::string ep = clickagg::testing::free_tcp_endpoint();
  const emit::CurveKeyPair sink_keys = emit::generate_curve_keys(), agg = emit::generate_curve_keys(),
                           stranger = emit::generate_curve_keys();
  zmq::context_t ctx;
  auto store = store::open_store(db, store::OpenMode::Writer);
  SinkOptions opt{.listen = ep};
  opt.curve = emit::CurveServer{sink_keys, {agg.public_key}};
  SinkService service(ctx, *store, opt);
  std::atomic<bool> stop{false};
  std::thread t([&] { service.run(stop); });

  zmq::context_t clients;
  const emit::CurveClient good{agg, sink_keys.public_key}, bad{stranger, sink_keys.public_key};
  // A client holding a real key pair of its own, and the sink's public key, but not admitted.
  EXPECT_FALSE(deliver(clients, ep, "forger", &bad, 5, milliseconds(1500)));
  // One without CURVE.
  EXPECT_FALSE(deliver(clients, ep, "plain", nullptr, 5, milliseconds(1500)));
  // One that takes the admitted aggregator's public key without its secret key.
  const emit::CurveClient impostor{{agg.public_key, stranger.secret_key}, sink_keys.public_key};
  EXPECT_FALSE(deliver(clients, ep, "impostor", &impostor, 5, milliseconds(1500)));
  EXPECT_EQ(service.stats().received, 0u) << "nothing from a refused peer reaches the sink";
  // The admitted aggregator.
  EXPECT_TRUE(deliver(clients, ep, "agg-1", &good, 20, milliseconds(10'000)));
  stop = true;
  t.join();

  auto reader = store::open_store(db, store::OpenMode::Reader);
  EXPECT_EQ(reader->committed_seq("agg-1"), 20u);
  for (const char* refused : {"forger", "plain", "impostor"}) EXPECT_EQ(reader->committed_seq(refused), 0u) << refused;
  EXPECT_EQ(reader->aggregated_count("ad", 1001, 1021, 0), 210u);  // 1 + ... + 20, from agg-1 alone
}

TEST(SinkCurve, ListeningBeyondThisHostNeedsCurveOrInsecure) {
  clickagg::testing::TempDir dir;
  zmq::context_t ctx;
  auto store = store::open_store(dir.file("sink.db"), store::OpenMode::Writer);
  // Each on a port of its own: libzmq lets a closed listener go in the background.
  auto wide = [] {
    const std::string local = clickagg::testing::free_tcp_endpoint();
    return "tcp://0.0.0.0:" + local.substr(local.rfind(':') + 1);
  };
  const std::string local = clickagg::testing::free_tcp_endpoint();
  EXPECT_THROW(SinkService(ctx, *store, SinkOptions{.listen = wide()}), std::runtime_error);
  {
    SinkOptions opt{.listen = wide()};
    opt.insecure = true;
    SinkService insecure(ctx, *store, opt);
  }
  {
    SinkOptions opt{.listen = wide()};
    opt.curve = emit::CurveServer{emit::generate_curve_keys(), {emit::generate_curve_keys().public_key}};
    SinkService secured(ctx, *store, opt);
  }
  SinkOptions no_clients{.listen = local};
  no_clients.curve = emit::CurveServer{emit::generate_curve_keys(), {}};
  EXPECT_THROW(SinkService(ctx, *store, no_clients), std::runtime_error) << "a CURVE sink admitting nobody";
}

TEST(CurveKeys, FilesRoundTripAndAreGuarded) {
  clickagg::testing::TempDir dir;
  const std::string base = dir.file("agg");
  const emit::CurveKeyPair k = emit::generate_curve_keys();
  emit::write_key_files(base, k);
  const emit::CurveKeyPair back = emit::read_key_pair(base + ".key");
  EXPECT_EQ(back.public_key, k.public_key);
  EXPECT_EQ(back.secret_key, k.secret_key);
  EXPECT_EQ(emit::read_public_key(base + ".pub"), k.public_key);
  EXPECT_EQ(emit::read_public_key(base + ".key"), k.public_key);
  EXPECT_THROW(emit::write_key_files(base, emit::generate_curve_keys()), std::runtime_error) << "overwrote";
  EXPECT_THROW(emit::read_key_pair(base + ".pub"), std::runtime_error) << "a public file as a pair";
  ::chmod((base + ".key").c_str(), 0640);
  EXPECT_THROW(emit::read_key_pair(base + ".key"), std::runtime_error) << "group-readable secret";
  // A pair whose public key is not its secret key's.
  const std::string odd = dir.file("odd.key");
  std::ofstream(odd) << "public-key = \"" << emit::generate_curve_keys().public_key << "\"\nsecret-key = \""
                     << k.secret_key << "\"\n";
  ::chmod(odd.c_str(), 0600);
  EXPECT_THROW(emit::read_key_pair(odd), std::runtime_error);
}

TEST(CurveKeys, LocalEndpoints) {
  for (const char* ep : {"tcp://127.0.0.1:5560", "tcp://127.1.2.3:1", "tcp://localhost:5560", "tcp://[::1]:5560",
                         "ipc:///tmp/sink", "inproc://x"})
    EXPECT_TRUE(emit::is_local_endpoint(ep)) << ep;
  for (const char* ep : {"tcp://0.0.0.0:5560", "tcp://*:5560", "tcp://10.0.0.5:5560", "tcp://[::]:5560",
                         "tcp://eth0:5560", "udp://127.0.0.1:1"})
    EXPECT_FALSE(emit::is_local_endpoint(ep)) << ep;
}

}  // namespace
}  // namespace clickagg::sink
