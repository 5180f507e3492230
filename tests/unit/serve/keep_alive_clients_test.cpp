// Keep-alive clients: each open connection holds a server worker, so the server must have more
// workers than a handful of clients (a dashboard in a few browser tabs) hold; and answers on a
// kept connection must not wait for the client's delayed ACK.
#include <httplib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "host/serve/http_server.h"
#include "host/store/aggregate_store.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::serve {
namespace {

TEST(KeepAliveClientsTest, TwentyOpenConnectionsAreServedWithoutWaitingForAnIdleOne) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("k.db");
  store::open_store(db, store::OpenMode::Writer).reset();
  ServerOptions opts;
  opts.port = 0;
  HttpServer server(opts, std::make_shared<store::StorePool>(
                              [db] { return store::open_store(db, store::OpenMode::Reader); }));
  const uint16_t port = server.start();
  std::vector<std::unique_ptr<httplib::Client>> clients;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
    clients.back()->set_keep_alive(true);  // the connection stays open after the answer
    auto res = clients.back()->Get("/v1/status");
    ASSERT_TRUE(res) << "client " << i;
    EXPECT_EQ(res->status, 200);
  }
  // With too few workers the ninth client waits for the 2 s keep-alive timeout of another.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(KeepAliveClientsTest, AnswersOnAKeptConnectionAreNotHeldBackByNagle) {
  clickagg::testing::TempDir dir;
  const std::string db = dir.file("n.db");
  store::open_store(db, store::OpenMode::Writer).reset();
  ServerOptions opts;
  opts.port = 0;
  HttpServer server(opts, std::make_shared<store::StorePool>(
                              [db] { return store::open_store(db, store::OpenMode::Reader); }));
  httplib::Client client("127.0.0.1", server.start());
  client.set_keep_alive(true);
  ASSERT_TRUE(client.Get("/v1/status"));
  // Headers and body leave in two writes; with Nagle's algorithm on, the second waits for
  // the client's delayed ACK (40 ms), so 50 requests would take over a second.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    auto res = client.Get("/v1/status");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace clickagg::serve
