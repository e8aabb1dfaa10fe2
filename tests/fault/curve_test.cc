// --curve at the socket level: a ps::Server whose ROUTER is a CURVE server
// on tcp://127.0.0.1:* serves a PsClient that has the job's server public
// key, while a plain client and a client with another server key never get
// an answer (their handshakes fail, so not one of their messages reaches
// the server's code: rejected_messages stays 0) and the good client keeps
// pulling and pushing. Every wait is bounded by a client timeout.
#include <memory>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/logging.h"
#include "net/curve.h"
#include "ps/client.h"
#include "ps/server.h"
#include "tests/ps/ps_test_util.h"

namespace ember::ps {
namespace {

constexpr uint64_t kToken = 0xc0ffee1234ULL;
constexpr uint32_t kTable = 3;
constexpr int kDim = 16;

ClientOptions ClientOf(const std::string& endpoint, const net::CurveKeys& curve, int timeout_ms) {
  ClientOptions options;
  options.server_endpoints = {endpoint};
  options.job_token = kToken;
  options.tables = {testing::MakeTable(kTable, kDim)};
  options.timeout_ms = timeout_ms;
  options.curve = curve;
  return options;
}

// Pulls `keys`, pushes ones, pulls again: OK when every call succeeded and
// the rows moved.
void PullPushPull(PsClient* client, const std::vector<Key>& keys) {
  std::vector<float> before(keys.size() * kDim), after(keys.size() * kDim);
  std::vector<float> grads(keys.size() * kDim, 1.f);
  StatusOr<Ticket> pull = client->Pull(kTable, keys, before.data());
  ASSERT_TRUE(pull.ok()) << pull.status();
  ASSERT_TRUE(client->Wait(*pull).ok());
  StatusOr<Ticket> push = client->Push(kTable, keys, grads);
  ASSERT_TRUE(push.ok()) << push.status();
  ASSERT_TRUE(client->Wait(*push).ok());
  StatusOr<Ticket> again = client->Pull(kTable, keys, after.data());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(client->Wait(*again).ok());
  for (size_t i = 0; i < before.size(); ++i) ASSERT_NE(before[i], after[i]) << "row value " << i;
}

TEST(CurveTest, KeypairsAreZ85AndDistinct) {
  if (!net::CurveAvailable()) GTEST_SKIP() << "libzmq without CURVE";
  StatusOr<net::CurveKeys> a = net::MakeCurveKeys(), b = net::MakeCurveKeys();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->server_public.size(), 40u);
  EXPECT_EQ(a->server_secret.size(), 40u);
  EXPECT_NE(a->server_public, b->server_public);
  EXPECT_TRUE(a->enabled());
  EXPECT_FALSE(net::CurveKeys().enabled());
}

TEST(CurveTest, MalformedKeysAreInvalidArgument) {
  if (!net::CurveAvailable()) GTEST_SKIP() << "libzmq without CURVE";
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router), dealer(context, zmq::socket_type::dealer);
  EXPECT_EQ(net::ApplyCurveServer(&router, {"short", "short"}).code(), StatusCode::kInvalidArgument);
  StatusOr<net::CurveKeys> keys = net::MakeCurveKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(net::ApplyCurveServer(&router, {keys->server_public, ""}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(net::ApplyCurveClient(&dealer, {"short", ""}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(net::ApplyCurveServer(&router, net::CurveKeys()).ok()) << "empty keys leave the socket plain";
  EXPECT_TRUE(net::ApplyCurveClient(&dealer, {keys->server_public, ""}).ok());
}

TEST(CurveTest, OnlyAClientWithTheServerKeyGetsAnswers) {
  if (!net::CurveAvailable()) GTEST_SKIP() << "libzmq without CURVE";
  StatusOr<net::CurveKeys> job_keys = net::MakeCurveKeys();
  StatusOr<net::CurveKeys> other_keys = net::MakeCurveKeys();
  ASSERT_TRUE(job_keys.ok() && other_keys.ok());

  zmq::context_t context;
  ServerOptions server_options;
  server_options.rank = 0;
  server_options.bind_endpoint = "tcp://127.0.0.1:*";
  server_options.job_token = kToken;
  server_options.tables = {testing::MakeTable(kTable, kDim)};
  server_options.curve = *job_keys;
  testing::ServerThread server(&context, server_options);
  ASSERT_TRUE(server.bind_status().ok()) << server.bind_status();
  const std::string endpoint = server.server().endpoint();

  // A client holds only the public key.
  PsClient good(&context, ClientOf(endpoint, {job_keys->server_public, ""}, 10'000));
  ASSERT_TRUE(good.Connect().ok());
  std::vector<Key> keys;
  for (Key k = 1; k <= 500; ++k) keys.push_back(k * 7919);
  PullPushPull(&good, keys);

  // Each stranger gives up at its own 700 ms deadline on the HELLO, which
  // never got an answer.
  PsClient plain(&context, ClientOf(endpoint, net::CurveKeys(), 700));
  Status plain_connect = plain.Connect();
  EXPECT_EQ(plain_connect.code(), StatusCode::kDeadlineExceeded) << plain_connect;
  EXPECT_NE(plain_connect.message().find("HELLO"), std::string_view::npos) << plain_connect;
  EXPECT_NE(plain_connect.message().find("no reply within 700 ms"), std::string_view::npos) << plain_connect;
  PsClient wrong_key(&context, ClientOf(endpoint, {other_keys->server_public, ""}, 700));
  Status wrong_connect = wrong_key.Connect();
  EXPECT_EQ(wrong_connect.code(), StatusCode::kDeadlineExceeded) << wrong_connect;
  EXPECT_NE(wrong_connect.message().find("HELLO"), std::string_view::npos) << wrong_connect;
  EXPECT_NE(wrong_connect.message().find("no reply within 700 ms"), std::string_view::npos) << wrong_connect;

  // The good client is unaffected, and the strangers' messages never reached
  // the server's code.
  PullPushPull(&good, keys);
  StatusOr<std::vector<ServerStats>> stats = good.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ((*stats)[0].rejected_messages, 0);
  EXPECT_EQ((*stats)[0].pulls, 4);
  EXPECT_EQ((*stats)[0].pushes, 2);
}

}  // namespace
}  // namespace ember::ps
