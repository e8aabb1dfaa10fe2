// Server and client in one process over inproc://, as in local mode.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <glog/logging.h>
#include <gtest/gtest.h>
#include <zmq_addon.hpp>

#include "common/logging.h"
#include "common/random.h"
#include "ps/client.h"
#include "ps/wire.h"
#include "ps_test_util.h"
#include "storage/optimizer.h"
#include "tests/util/log_capture.h"
#include "tests/util/reference_table.h"

namespace ember::ps {
namespace {

using testing::MakeTable;
using testing::ServerThread;

constexpr uint64_t kToken = 0xfeedface12345678ULL;

std::vector<Key> SequentialKeys(size_t n, Key first = 1) {
  std::vector<Key> keys(n);
  for (size_t i = 0; i < n; ++i) keys[i] = first + i;
  return keys;
}

class PsInprocTest : public ::testing::Test {
 protected:
  void SetUp() override { InitLogging("ps_test"); }

  ServerOptions Options(int rank, std::vector<sparse::TableConfig> tables) {
    ServerOptions options;
    options.rank = rank;
    options.bind_endpoint = "inproc://ember-server-" + std::to_string(rank);
    options.job_token = kToken;
    options.seed = 11;
    options.tables = std::move(tables);
    return options;
  }
  ClientOptions ClientFor(int num_servers, std::vector<sparse::TableConfig> tables) {
    ClientOptions options;
    for (int s = 0; s < num_servers; ++s)
      options.server_endpoints.push_back("inproc://ember-server-" + std::to_string(s));
    options.job_token = kToken;
    options.tables = std::move(tables);
    options.timeout_ms = 10000;
    return options;
  }

  zmq::context_t context_;
};

TEST_F(PsInprocTest, PullCreatesInitializedRowsAndPushAppliesSgd) {
  const sparse::TableConfig table = MakeTable(4, 16);
  ServerThread server(&context_, Options(0, {table}));
  ASSERT_TRUE(server.bind_status().ok()) << server.bind_status();
  EXPECT_EQ(server.server().endpoint(), "inproc://ember-server-0");
  PsClient client(&context_, ClientFor(1, {table}));
  ASSERT_TRUE(client.Connect().ok());

  const std::vector<Key> keys = SequentialKeys(100, 1000);
  std::vector<float> rows(keys.size() * 16, -1.0f);
  auto pull = client.Pull(4, keys, rows.data());
  ASSERT_TRUE(pull.ok()) << pull.status();
  ASSERT_TRUE(client.Wait(*pull).ok());
  std::vector<float> want(16);
  for (size_t i = 0; i < keys.size(); ++i) {
    storage::InitRowValue(table, 11, keys[i], want.data());
    ASSERT_TRUE(std::equal(want.begin(), want.end(), rows.begin() + static_cast<std::ptrdiff_t>(i * 16))) << i;
  }
  std::vector<float> grads(rows.size(), 1.0f);
  auto push = client.Push(4, keys, grads);
  ASSERT_TRUE(push.ok());
  ASSERT_TRUE(client.Wait(*push).ok());
  std::vector<float> after(rows.size());
  auto again = client.Pull(4, keys, after.data());
  ASSERT_TRUE(client.Wait(*again).ok());
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_FLOAT_EQ(after[i], rows[i] - 0.5f) << i;

  auto stats = client.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ((*stats)[0].rows_per_table, std::vector<int64_t>{100});
  EXPECT_EQ((*stats)[0].pulls, 2);
  EXPECT_EQ((*stats)[0].pushes, 1);
  EXPECT_EQ((*stats)[0].rejected_messages, 0);
}

TEST_F(PsInprocTest, PullWithoutCreateReadsZerosAndCreatesNothing) {
  const sparse::TableConfig table = MakeTable(1, 8);
  ServerThread server(&context_, Options(0, {table}));
  PsClient client(&context_, ClientFor(1, {table}));
  ASSERT_TRUE(client.Connect().ok());
  const std::vector<Key> keys = SequentialKeys(50);
  std::vector<float> rows(keys.size() * 8, 5.0f);
  auto pull = client.Pull(1, keys, rows.data(), /*create=*/false);
  ASSERT_TRUE(client.Wait(*pull).ok());
  EXPECT_TRUE(std::all_of(rows.begin(), rows.end(), [](float x) { return x == 0.0f; }));
  EXPECT_EQ(client.Stats()->at(0).rows_per_table, std::vector<int64_t>{0});
  EXPECT_EQ(server.server().stats().rows_per_table, std::vector<int64_t>{0});

  // Existing rows are read as they are.
  std::vector<float> created(rows.size());
  auto create = client.Pull(1, std::span<const Key>(keys).first(10), created.data(), true);
  ASSERT_TRUE(client.Wait(*create).ok());
  auto read = client.Pull(1, keys, rows.data(), false);
  ASSERT_TRUE(client.Wait(*read).ok());
  EXPECT_TRUE(std::equal(created.begin(), created.begin() + 80, rows.begin()));
  EXPECT_TRUE(std::all_of(rows.begin() + 80, rows.end(), [](float x) { return x == 0.0f; }));
  EXPECT_EQ(client.Stats()->at(0).rows_per_table, std::vector<int64_t>{10});
}

TEST_F(PsInprocTest, TwoServersSplitKeysEvenlyAndServeTheSameRows) {
  const sparse::TableConfig wide = MakeTable(0, 1, sparse::SparseOptimizerType::kFtrl, sparse::InitializerType::kZeros);
  const sparse::TableConfig deep =
      MakeTable(9, 16, sparse::SparseOptimizerType::kAdagrad, sparse::InitializerType::kUniform);
  ServerThread server0(&context_, Options(0, {wide, deep}));
  ServerThread server1(&context_, Options(1, {wide, deep}));
  PsClient client(&context_, ClientFor(2, {wide, deep}));
  ASSERT_TRUE(client.Connect().ok());

  Rng rng(3);
  std::vector<Key> keys(20000);
  for (Key& key : keys) key = rng.Next();
  std::vector<float> rows(keys.size() * 16);
  auto pull = client.Pull(9, keys, rows.data());
  ASSERT_TRUE(pull.ok());
  ASSERT_TRUE(client.Wait(*pull).ok());
  auto stats = client.Stats();
  ASSERT_TRUE(stats.ok());
  const double share0 = static_cast<double>((*stats)[0].rows_per_table[1]) / static_cast<double>(keys.size());
  EXPECT_NEAR(share0, 0.5, 0.05);
  EXPECT_EQ((*stats)[0].rows_per_table[1] + (*stats)[1].rows_per_table[1], 20000);
  EXPECT_EQ((*stats)[0].rows_per_table[0] + (*stats)[1].rows_per_table[0], 0);

  // Every row equals what one in-memory table with the same seed holds,
  // whichever server owns it, before and after a push.
  testing_util::ReferenceTable reference(deep, 11);
  std::vector<float> want(16);
  for (size_t i = 0; i < keys.size(); ++i) {
    reference.Pull(keys[i], true, want.data());
    ASSERT_TRUE(std::equal(want.begin(), want.end(), rows.begin() + static_cast<std::ptrdiff_t>(i * 16)))
        << "key " << keys[i] << " owner " << OwnerOfKey(keys[i], 2);
  }
  std::vector<float> grads(rows.size());
  for (float& g : grads) g = static_cast<float>(rng.Normal());
  auto push = client.Push(9, keys, grads);
  ASSERT_TRUE(client.Wait(*push).ok());
  auto again = client.Pull(9, keys, rows.data());
  ASSERT_TRUE(client.Wait(*again).ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    reference.Push(keys[i], grads.data() + i * 16, 1);
    reference.Pull(keys[i], false, want.data());
    ASSERT_TRUE(std::equal(want.begin(), want.end(), rows.begin() + static_cast<std::ptrdiff_t>(i * 16))) << i;
  }
}

// A request of more keys than max_keys_per_message goes out as several
// messages under one ticket; rows and checksums equal those of one message
// per server.
TEST_F(PsInprocTest, LargeRequestsGoOutInChunksUnderOneTicketWithTheSameResult) {
  const sparse::TableConfig table =
      MakeTable(3, 8, sparse::SparseOptimizerType::kAdagrad, sparse::InitializerType::kUniform);
  Rng rng(5);
  std::vector<Key> keys(1050);
  for (Key& key : keys) key = rng.Next();
  std::vector<float> grads(keys.size() * 8);
  for (float& g : grads) g = static_cast<float>(rng.Normal());
  std::vector<std::vector<float>> rows_by_chunk;
  std::vector<uint64_t> checksums;
  for (size_t chunk : {size_t{0}, size_t{100}}) {
    // Endpoints of their own: an inproc name is free again only once the
    // previous server's socket is closed, which zmq does asynchronously.
    ClientOptions options = ClientFor(2, {table});
    options.max_keys_per_message = chunk;
    std::vector<ServerOptions> server_options = {Options(0, {table}), Options(1, {table})};
    for (int s = 0; s < 2; ++s) {
      server_options[s].bind_endpoint = options.server_endpoints[s] += "-chunk-" + std::to_string(chunk);
    }
    ServerThread server0(&context_, server_options[0]);
    ServerThread server1(&context_, server_options[1]);
    ASSERT_TRUE(server0.bind_status().ok() && server1.bind_status().ok()) << "chunk " << chunk;
    PsClient client(&context_, options);
    const Status connected = client.Connect();
    ASSERT_TRUE(connected.ok()) << connected;
    std::vector<float> rows(keys.size() * 8);
    auto pull = client.Pull(3, keys, rows.data());
    auto push = client.Push(3, keys, grads);
    ASSERT_TRUE(pull.ok() && push.ok());
    EXPECT_EQ(client.in_flight(), 2u);
    ASSERT_TRUE(client.Wait(*push).ok());
    ASSERT_TRUE(client.Wait(*pull).ok());
    EXPECT_EQ(client.in_flight(), 0u);
    EXPECT_EQ(client.Wait(*push).code(), StatusCode::kNotFound);
    auto again = client.Pull(3, keys, rows.data());
    ASSERT_TRUE(again.ok() && client.Wait(*again).ok());
    rows_by_chunk.push_back(rows);
    auto stats = client.Stats(/*with_checksums=*/true);
    ASSERT_TRUE(stats.ok());
    // 1050 keys in 11 messages of at most 100, each split over 2 servers.
    EXPECT_EQ((*stats)[0].pushes + (*stats)[1].pushes, chunk == 0 ? 2 : 22);
    checksums.push_back((*stats)[0].checksum_per_table[0] ^ (*stats)[1].checksum_per_table[0]);
    ASSERT_TRUE(client.ShutdownServers().ok());
  }
  EXPECT_EQ(rows_by_chunk[0], rows_by_chunk[1]);
  EXPECT_EQ(checksums[0], checksums[1]);
}

TEST_F(PsInprocTest, TicketsOverlapAndCompleteInAnyOrder) {
  const sparse::TableConfig table = MakeTable(2, 4);
  ServerThread server0(&context_, Options(0, {table}));
  ServerThread server1(&context_, Options(1, {table}));
  PsClient client(&context_, ClientFor(2, {table}));
  ASSERT_TRUE(client.Connect().ok());
  const std::vector<Key> a = SequentialKeys(300, 1), b = SequentialKeys(300, 1000);
  std::vector<float> rows_a(a.size() * 4), rows_b(b.size() * 4), grads(a.size() * 4, 0.25f);
  auto pull_a = client.Pull(2, a, rows_a.data());
  auto pull_b = client.Pull(2, b, rows_b.data());
  auto push_a = client.Push(2, a, grads);
  auto empty = client.Pull(2, {}, nullptr);
  ASSERT_TRUE(pull_a.ok() && pull_b.ok() && push_a.ok() && empty.ok());
  EXPECT_EQ(client.in_flight(), 4u);
  EXPECT_TRUE(client.Wait(*empty).ok());
  EXPECT_TRUE(client.Wait(*push_a).ok());
  EXPECT_TRUE(client.Wait(*pull_b).ok());
  EXPECT_TRUE(client.Wait(*pull_a).ok());
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(client.Wait(*pull_a).code(), StatusCode::kNotFound);
  // Pulls of one client are answered after its earlier push on the same server.
  std::vector<float> after(rows_a.size());
  auto pull_after = client.Pull(2, a, after.data());
  ASSERT_TRUE(client.Wait(*pull_after).ok());
  for (size_t i = 0; i < after.size(); ++i) ASSERT_FLOAT_EQ(after[i], rows_a[i] - 0.125f);
}

TEST_F(PsInprocTest, ClientErrors) {
  const sparse::TableConfig table = MakeTable(2, 4);
  ServerThread server(&context_, Options(0, {table}));
  PsClient client(&context_, ClientFor(1, {table}));
  std::vector<float> rows(4);
  const std::vector<Key> one = {1};
  EXPECT_EQ(client.Pull(2, one, rows.data()).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(client.Connect().ok());
  EXPECT_EQ(client.Pull(3, one, rows.data()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Push(2, one, std::vector<float>(3)).status().code(), StatusCode::kInvalidArgument);

  // A table the server lacks, a dim that disagrees, and a wrong token fail Connect.
  PsClient unknown(&context_, ClientFor(1, {MakeTable(5, 4)}));
  EXPECT_EQ(unknown.Connect().code(), StatusCode::kFailedPrecondition);
  PsClient wrong_dim(&context_, ClientFor(1, {MakeTable(2, 8)}));
  Status dim_status = wrong_dim.Connect();
  EXPECT_EQ(dim_status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(dim_status.message().find("dim"), std::string_view::npos) << dim_status;
  ClientOptions stranger_options = ClientFor(1, {table});
  stranger_options.job_token = 1;
  stranger_options.timeout_ms = 300;
  PsClient stranger(&context_, stranger_options);
  EXPECT_EQ(stranger.Connect().code(), StatusCode::kDeadlineExceeded);
  ClientOptions nobody = ClientFor(1, {table});
  nobody.server_endpoints = {"inproc://nobody-here"};
  nobody.timeout_ms = 200;
  PsClient lonely(&context_, nobody);
  Status lonely_status = lonely.Connect();
  EXPECT_EQ(lonely_status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(lonely_status.message().find("inproc://nobody-here"), std::string_view::npos) << lonely_status;
  EXPECT_EQ(server.server().stats().rejected_messages, 1);  // the stranger's HELLO
}

TEST_F(PsInprocTest, BindErrorsNameTheEndpoint) {
  const sparse::TableConfig table = MakeTable(0, 2);
  ServerThread first(&context_, Options(0, {table}));
  ASSERT_TRUE(first.bind_status().ok());
  Server twin(&context_, Options(0, {table}));
  Status in_use = twin.Bind();
  EXPECT_EQ(in_use.code(), StatusCode::kUnavailable) << in_use;
  EXPECT_NE(in_use.message().find("inproc://ember-server-0"), std::string_view::npos) << in_use;
  ServerOptions bad = Options(1, {table});
  bad.bind_endpoint = "carrier-pigeon://coop";
  Server odd(&context_, bad);
  Status malformed = odd.Bind();
  EXPECT_EQ(malformed.code(), StatusCode::kInvalidArgument) << malformed;
  EXPECT_EQ(odd.Run().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PsInprocTest, ShutdownStopsEveryServer) {
  const sparse::TableConfig table = MakeTable(0, 2);
  ServerThread server0(&context_, Options(0, {table}));
  ServerThread server1(&context_, Options(1, {table}));
  PsClient client(&context_, ClientFor(2, {table}));
  ASSERT_TRUE(client.Connect().ok());
  ASSERT_TRUE(client.ShutdownServers().ok());
  server0.JoinWithoutStop();
  server1.JoinWithoutStop();
  EXPECT_TRUE(server0.run_status().ok());
  EXPECT_TRUE(server1.run_status().ok());
}

// ---- Malformed messages over a real socket. ----

class RawPeer {
 public:
  RawPeer(zmq::context_t* context, const std::string& endpoint) : socket_(*context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }
  void Send(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  // The next reply's frames, or empty after `timeout`.
  std::vector<std::string> Receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    socket_.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames))) return {};
    std::vector<std::string> out;
    for (auto& f : frames) out.emplace_back(f.to_string());
    return out;
  }

 private:
  zmq::socket_t socket_;
};

std::string Header(const MessageHeader& h) {
  std::string bytes(kHeaderBytes, '\0');
  EncodeHeader(h, bytes.data());
  return bytes;
}

std::vector<std::string> PullMessage(uint64_t request_id, const std::vector<Key>& keys, uint32_t table = 6,
                                     uint32_t dim = 3) {
  MessageHeader h = MakeHeader(MessageType::kPull, kToken, request_id);
  h.table_id = table;
  h.value_dim = dim;
  h.item_count = keys.size();
  h.payload_bytes = keys.size() * 8;
  std::string key_bytes(keys.size() * 8, '\0');
  EncodeKeys(keys, key_bytes.data());
  return {Header(h), key_bytes};
}

TEST_F(PsInprocTest, RejectsEachMalformedMessageLogsItAndKeepsServing) {
  const sparse::TableConfig table = MakeTable(6, 3);
  ServerThread server(&context_, Options(0, {table}));
  ASSERT_TRUE(server.bind_status().ok());
  testing_util::WarningSink warnings;
  RawPeer peer(&context_, "inproc://ember-server-0");

  const std::vector<Key> keys = {10, 20};
  const auto valid = PullMessage(1, keys);
  MessageHeader base;
  ASSERT_TRUE(DecodeHeader(valid[0], &base).ok());
  const auto edited = [&](auto edit) {
    MessageHeader h = base;
    edit(h);
    return std::vector<std::string>{Header(h), valid[1]};
  };
  MessageHeader push = MakeHeader(MessageType::kPush, kToken, 1);
  push.table_id = 6;
  push.value_dim = 3;
  push.item_count = 2;
  push.payload_bytes = 16 + 20;

  struct Case {
    std::string name;
    std::vector<std::string> frames;
    std::string logged;  // a phrase the WARNING line must contain
    StatusCode reply;    // kOk: no reply expected (unauthenticated or unanswerable)
  };
  const std::vector<Case> cases = {
      {"wrong magic", edited([](MessageHeader& h) { h.magic = 0x4d5a9000; }), "bad magic 0x4d5a9000", StatusCode::kOk},
      {"wrong version", edited([](MessageHeader& h) { h.version = 9; }), "wire version 9", StatusCode::kOk},
      {"wrong token", edited([](MessageHeader& h) { h.job_token = kToken + 1; }), "wrong job token", StatusCode::kOk},
      {"unknown type", edited([](MessageHeader& h) { h.type = 42; }), "unknown message type 42", StatusCode::kOk},
      {"short header", {valid[0].substr(0, 20), valid[1]}, "header frame is 20 bytes", StatusCode::kOk},
      {"reply sent to a server", edited([](MessageHeader& h) {
         h.type = 0x82;
         h.payload_bytes = 16;
       }),
       "PULL_REPLY", StatusCode::kOk},
      {"payload bytes", edited([](MessageHeader& h) { h.payload_bytes = 24; }), "payload_bytes 24",
       StatusCode::kDataLoss},
      {"keys frame", edited([](MessageHeader& h) { h.item_count = 3; }), "keys frame is 16 bytes",
       StatusCode::kDataLoss},
      {"missing frame", {valid[0]}, "payload_bytes 16", StatusCode::kDataLoss},
      {"gradients frame",
       {Header(push), valid[1], std::string(20, '\0')},
       "gradients frame is 20 bytes",
       StatusCode::kDataLoss},
      {"unknown table", edited([](MessageHeader& h) { h.table_id = 5; }), "unknown table 5",
       StatusCode::kInvalidArgument},
      {"dim", edited([](MessageHeader& h) { h.value_dim = 4; }), "value_dim 4", StatusCode::kInvalidArgument},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    peer.Send(c.frames);
    peer.Send(PullMessage(100 + i, keys));  // same pipe: served after the bad one
    auto reply = peer.Receive();
    ASSERT_FALSE(reply.empty()) << "no reply at all";
    MessageHeader h;
    ASSERT_TRUE(DecodeHeader(reply[0], &h).ok());
    if (c.reply != StatusCode::kOk) {
      EXPECT_EQ(h.status_code, static_cast<uint16_t>(c.reply));
      EXPECT_EQ(h.request_id, 1u);
      ASSERT_EQ(reply.size(), 2u);
      EXPECT_NE(reply[1].find(c.logged), std::string::npos) << reply[1];
      reply = peer.Receive();
      ASSERT_FALSE(reply.empty());
      ASSERT_TRUE(DecodeHeader(reply[0], &h).ok());
    }
    // The valid pull that follows succeeds.
    EXPECT_EQ(h.type, static_cast<uint16_t>(MessageType::kPullReply));
    EXPECT_EQ(h.status_code, 0);
    EXPECT_EQ(h.request_id, 100 + i);
    ASSERT_EQ(reply.size(), 2u);
    EXPECT_EQ(reply[1].size(), 2u * 3 * 4);
    EXPECT_EQ(server.server().stats().rejected_messages, static_cast<int64_t>(i + 1));
    const auto lines = warnings.messages();
    ASSERT_EQ(lines.size(), i + 1) << "one WARNING line per rejected message";
    EXPECT_NE(lines.back().find(c.logged), std::string::npos) << lines.back();
    EXPECT_NE(lines.back().find("server 0 rejected"), std::string::npos) << lines.back();
  }
  // And a real client still works.
  PsClient client(&context_, ClientFor(1, {table}));
  ASSERT_TRUE(client.Connect().ok());
  std::vector<float> rows(6);
  auto pull = client.Pull(6, keys, rows.data());
  EXPECT_TRUE(client.Wait(*pull).ok());
  EXPECT_EQ(client.Stats()->at(0).rejected_messages, static_cast<int64_t>(cases.size()));
}

TEST_F(PsInprocTest, RandomMutationsNeverStopTheServer) {
  const sparse::TableConfig table = MakeTable(6, 3);
  ServerThread server(&context_, Options(0, {table}));
  RawPeer peer(&context_, "inproc://ember-server-0");
  Rng rng(77);
  const auto valid = PullMessage(1, {1, 2, 3, 4});
  for (int i = 0; i < 500; ++i) {
    auto frames = valid;
    const int flips = 1 + static_cast<int>(rng.UniformInt(4));
    for (int f = 0; f < flips; ++f) {
      std::string& frame = frames[rng.UniformInt(frames.size())];
      if (frame.empty()) continue;
      frame[rng.UniformInt(frame.size())] ^= static_cast<char>(1 + rng.UniformInt(255));
    }
    if (rng.UniformInt(4) == 0) frames.back().resize(rng.UniformInt(40));
    peer.Send(frames);
  }
  peer.Send(PullMessage(12345, {7}));
  for (;;) {  // drain error replies until the final pull's answer
    auto reply = peer.Receive();
    ASSERT_FALSE(reply.empty()) << "the server stopped answering";
    MessageHeader h;
    ASSERT_TRUE(DecodeHeader(reply[0], &h).ok());
    if (h.request_id == 12345 && h.status_code == 0) break;
  }
  const ServerStats stats = server.server().stats();
  EXPECT_GT(stats.rejected_messages, 0);
  EXPECT_LE(stats.rejected_messages, 500);
}

}  // namespace
}  // namespace ember::ps
