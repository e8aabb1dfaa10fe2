// Helpers for ps tests: servers on their own threads.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ps/server.h"

namespace ember::ps::testing {

inline sparse::TableConfig MakeTable(uint32_t id, int dim,
                                     sparse::SparseOptimizerType type = sparse::SparseOptimizerType::kSgd,
                                     sparse::InitializerType init = sparse::InitializerType::kNormal) {
  sparse::TableConfig table;
  table.id = id;
  table.name = "table" + std::to_string(id);
  table.dim = dim;
  table.optimizer.type = type;
  table.optimizer.learning_rate = 0.5f;
  table.initializer = init;
  table.init_scale = 0.1f;
  return table;
}

// A Server bound on construction and serving on its own thread until the
// destructor (or a SHUTDOWN) stops it.
class ServerThread {
 public:
  ServerThread(zmq::context_t* context, ServerOptions options) : server_(context, std::move(options)) {
    bind_status_ = server_.Bind();
    if (bind_status_.ok()) {
      thread_ = std::thread([this] { run_status_ = server_.Run(); });
    }
  }
  ~ServerThread() { Join(); }
  void Join() {
    if (thread_.joinable()) {
      server_.Stop();
      thread_.join();
    }
  }
  Server& server() { return server_; }
  const Status& bind_status() const { return bind_status_; }
  // Valid after Join.
  const Status& run_status() const { return run_status_; }
  // Waits for Run to return by itself (after a SHUTDOWN).
  void JoinWithoutStop() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  Server server_;
  Status bind_status_;
  Status run_status_;
  std::thread thread_;
};

}  // namespace ember::ps::testing
