// ps/server.h: a parameter server: one shard of every sparse table, served
// over one ZeroMQ ROUTER socket.
//
// The server owns the rows of the keys that OwnerOfKey maps to its rank. It
// answers HELLO, PULL (creating missing rows with the table's initializer,
// unless the no-create flag is set), PUSH (applying the table's optimizer in
// place), STATS, CHECKPOINT (writing its shard of every table into the
// directory named, storage/shard.h) and SHUTDOWN (docs/wire_format.md). Every message is checked
// before a payload byte is read; a malformed or unauthenticated one is
// logged with one WARNING line, counted in rejected_messages and dropped (an
// authenticated sender gets an error reply), and the server keeps serving.
//
// --sync (sync_workers = W > 0): every PUSH carries its worker's rank (aux)
// and step, and each worker sends, per step, a push with kFlagEndOfStep to
// every server (empty when it has no rows there). The pushes of step t are
// buffered until all W workers ended step t, then applied in worker-rank
// order (a worker's pushes in their arrival order), and only then answered.
// A creating PULL of step t + 1 is held (queued, never blocking the socket
// loop) until step t is applied. Evaluation pulls (no-create) are not held.
// With a fixed arrival order per worker, the rows then depend only on the
// pushes, not on the timing of the workers.
//
// Threading: Bind and Run are called by the thread that serves (or Bind on
// another thread before that thread starts); Stop and stats are thread-safe.
// Run handles one message at a time; with threads > 1 the rows of a large
// pull or push are updated by that many threads, each key's by one (split
// by hash, DESIGN.md), so the hot path takes no lock.
//
//   zmq::context_t context;
//   Server server(&context, {.rank = 0, .bind_endpoint = "inproc://ember-server-0",
//                            .job_token = token, .tables = tables});
//   RETURN_IF_ERROR(server.Bind());
//   std::thread serving([&] { Status s = server.Run(); if (!s.ok()) LOG(ERROR) << s; });
//   ...
//   server.Stop();  // or a client's ShutdownServers()
//   serving.join();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"
#include "net/curve.h"
#include "ps/wire.h"
#include "sparse/table_config.h"
#include "storage/rocks_tier.h"

namespace ember::ps {}  // namespace ember::ps
namespace ember::storage {
class SparseTable;
}  // namespace ember::storage
namespace ember::ps {

struct ServerOptions {
  int rank = 0;               // this server's index in [0, num_servers)
  int num_servers = 1;        // servers in the job (keys are theirs by OwnerOfKey)
  std::string bind_endpoint;  // "inproc://ember-server-0" or "tcp://127.0.0.1:*". REQUIRED.
  uint64_t job_token = 0;     // every message must carry it
  uint64_t seed = 1;          // initializer seed; Default: 1
  std::vector<sparse::TableConfig> tables;
  int poll_interval_ms = 50;  // how often Run checks for Stop(). Default: 50 ms
  int linger_ms = 1000;       // how long unsent replies outlive the socket. Default: 1 s
  // The most keys a client puts in one request (ClientOptions's field of
  // the same name). The socket takes no frame larger than such a request
  // needs (MaxRequestFrameBytes with the widest table): libzmq disconnects a
  // peer that sends one, before it is buffered. 0: any size. Default:
  // kMaxKeysPerMessage
  size_t max_keys_per_message = kMaxKeysPerMessage;
  // --sync: the number of workers whose pushes make a step; 0: asynchronous
  // (pushes applied on receipt, pulls answered at once). Default: 0
  int sync_workers = 0;
  // --server_memory_bytes: the memory tier's budget over all tables, shared
  // in proportion to the bytes each table's rows (both tiers) would take in
  // memory (storage::SharedMemoryBudget); past it, cold rows go to a
  // RocksDB tier at rocks.path (storage/sparse_table.h). 0: unlimited, no
  // RocksDB. Default: 0
  int64_t memory_bytes = 0;
  storage::RocksTierOptions rocks;  // rocks.path is REQUIRED when memory_bytes > 0
  // --server_threads: the threads that apply a pull or push, its keys split
  // among them by hash (storage::SparseTable::set_runner; Run's thread is
  // one of them). The rows are bitwise the same for any count. Default: 1
  int threads = 1;
  // --min_count and --ttl_steps of every table (storage/sparse_table.h).
  // Default: 0, 0 (every key admitted at once, no expiry)
  uint32_t min_count = 0;
  uint32_t ttl_steps = 0;
  // --resume: Bind first loads the rows this server owns from every shard
  // of this checkpoint, which `restore_num_servers` servers wrote
  // (storage/shard.h), and continues from its step. Default: empty, a
  // fresh start.
  std::string restore_from;
  int restore_num_servers = 0;
  // --curve: the ROUTER is a CURVE server with curve.server_secret (net/curve.h);
  // a peer without the job's server public key gets no answer. Default:
  // empty, plain.
  net::CurveKeys curve;
  // A tcp bind_endpoint holds at most this many connections: each one past
  // it is closed on accept and logged (net/connection_cap.h). The job sets
  // it from the peers it has (job/local_job.h). 0: no cap. Default: 0
  int max_connections = 0;
};

struct ServerStats {
  std::vector<int64_t> rows_per_table;  // in the order of ServerOptions::tables
  int64_t rejected_messages = 0;
  int64_t pulls = 0, pushes = 0;  // requests served
  // --sync: pushes buffered until every worker ends their step, and creating
  // pulls held until the steps before theirs are applied. Filled only by
  // Server::stats() (not sent over the wire).
  int64_t sync_buffered_pushes = 0, sync_held_pulls = 0;
  // tcp with ServerOptions::max_connections: the accepted connections the
  // cap has looked at, and those it closed (net/connection_cap.h). Filled
  // only by Server::stats().
  int64_t connections_checked = 0, connections_refused = 0;
  // Per table, in the order of ServerOptions::tables: SparseTable::Checksum.
  // Filled only by PsClient::Stats(/*with_checksums=*/true).
  std::vector<uint64_t> checksum_per_table;
};

class Server {
 public:
  // `context` must outlive the server.
  Server(zmq::context_t* context, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Validates the tables (InvalidArgument) and binds the ROUTER socket:
  // InvalidArgument for a malformed endpoint, Unavailable when it is in use
  // or cannot be bound; the message names the endpoint. Call once.
  Status Bind();
  // The resolved endpoint after Bind ("tcp://127.0.0.1:41234" for
  // "tcp://127.0.0.1:*"); empty before.
  std::string endpoint() const;
  // Serves until Stop() or a SHUTDOWN message (then OK), or an unrecoverable
  // socket error (Unavailable/Internal naming the call). FailedPrecondition
  // before a successful Bind.
  Status Run();
  // Thread-safe; Run returns within poll_interval_ms.
  void Stop();
  // Thread-safe snapshot.
  ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::ps
