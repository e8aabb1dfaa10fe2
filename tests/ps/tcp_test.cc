// The same servers and client over tcp:// on ephemeral loopback ports.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "common/logging.h"
#include "common/random.h"
#include "ps/client.h"
#include "ps_test_util.h"
#include "tests/util/reference_table.h"

namespace ember::ps {
namespace {

using testing::MakeTable;
using testing::ServerThread;

TEST(PsTcpTest, TwoServersOnEphemeralPorts) {
  InitLogging("ps_tcp_test");
  zmq::context_t context;
  const sparse::TableConfig table =
      MakeTable(3, 16, sparse::SparseOptimizerType::kAdam, sparse::InitializerType::kNormal);
  std::vector<std::unique_ptr<ServerThread>> servers;
  ClientOptions client_options;
  client_options.job_token = 99;
  client_options.tables = {table};
  client_options.timeout_ms = 10000;
  for (int rank = 0; rank < 2; ++rank) {
    ServerOptions options;
    options.rank = rank;
    options.bind_endpoint = "tcp://127.0.0.1:*";
    options.job_token = 99;
    options.seed = 5;
    options.tables = {table};
    servers.push_back(std::make_unique<ServerThread>(&context, options));
    ASSERT_TRUE(servers.back()->bind_status().ok()) << servers.back()->bind_status();
    const std::string endpoint = servers.back()->server().endpoint();
    EXPECT_EQ(endpoint.rfind("tcp://127.0.0.1:", 0), 0u) << endpoint;
    EXPECT_NE(endpoint, "tcp://127.0.0.1:*");
    client_options.server_endpoints.push_back(endpoint);
  }
  PsClient client(&context, client_options);
  ASSERT_TRUE(client.Connect().ok());

  Rng rng(8);
  std::vector<Key> keys(5000);
  for (Key& key : keys) key = rng.Next();
  std::vector<float> rows(keys.size() * 16), grads(rows.size(), 0.5f);
  auto pull = client.Pull(3, keys, rows.data());
  ASSERT_TRUE(client.Wait(*pull).ok());
  auto push = client.Push(3, keys, grads);
  ASSERT_TRUE(client.Wait(*push).ok());
  std::vector<float> after(rows.size());
  auto again = client.Pull(3, keys, after.data());
  ASSERT_TRUE(client.Wait(*again).ok());
  testing_util::ReferenceTable reference(table, 5);
  std::vector<float> want(16);
  for (size_t i = 0; i < keys.size(); ++i) {
    reference.Push(keys[i], grads.data() + i * 16, 1);
    reference.Pull(keys[i], false, want.data());
    ASSERT_TRUE(std::equal(want.begin(), want.end(), after.begin() + static_cast<std::ptrdiff_t>(i * 16))) << i;
  }
  auto stats = client.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)[0].rows_per_table[0] + (*stats)[1].rows_per_table[0], 5000);

  // Endpoints out of rank order are caught by HELLO.
  ClientOptions swapped = client_options;
  std::swap(swapped.server_endpoints[0], swapped.server_endpoints[1]);
  PsClient confused(&context, swapped);
  EXPECT_EQ(confused.Connect().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(client.ShutdownServers().ok());
  for (auto& server : servers) {
    server->JoinWithoutStop();
    EXPECT_TRUE(server->run_status().ok()) << server->run_status();
  }
}

}  // namespace
}  // namespace ember::ps
