// ps/client.h: the worker's side of pull and push.
//
// One PsClient per worker thread, with one DEALER socket per server; the
// worker's step pipeline sees it as a PullPushClient (pull_push_client.h).
// Keys of a request are split by OwnerOfKey over the servers, one message per
// server, all in flight at once; a request is named by a Ticket and completed
// by Wait. While a thread waits for one ticket, replies to the others are
// received and applied (pulled rows land in their out_rows), so pulls and
// pushes of several steps can overlap (the worker's pipeline).
//
// Threading: NOT thread-safe; the owning thread makes every call. Sockets
// are closed by the destructor (linger 0); the context must outlive it.
//
//   PsClient client(&context, {.server_endpoints = endpoints, .job_token = token, .tables = tables});
//   RETURN_IF_ERROR(client.Connect());
//   UniqueKeys unique;
//   Dedup(batch_keys, &unique);
//   std::vector<float> rows(unique.keys.size() * dim);
//   ASSIGN_OR_RETURN(Ticket pull, client.Pull(table_id, unique.keys, rows.data()));
//   RETURN_IF_ERROR(client.Wait(pull));
//   ...
//   ASSIGN_OR_RETURN(Ticket push, client.Push(table_id, unique.keys, grads));
//   RETURN_IF_ERROR(client.Wait(push));
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/hash.h"
#include "common/status.h"
#include "ps/pull_push_client.h"
#include "ps/server.h"
#include "sparse/table_config.h"

namespace ember::ps {

struct ClientOptions {
  // Server i's endpoint at index i (server ranks are 0..S-1). REQUIRED.
  std::vector<std::string> server_endpoints;
  uint64_t job_token = 0;
  // The tables this client pulls and pushes (ids and dims must match the servers').
  std::vector<sparse::TableConfig> tables;
  int timeout_ms = 60000;  // per Wait, Connect, Stats, ShutdownServers. Default: 60 s
  // The worker rank stamped on every PULL and PUSH (--sync orders pushes by
  // it). Default: 0
  int worker_rank = 0;
  // --curve: every socket is a CURVE client of curve.server_public with an
  // ephemeral keypair of its own (net/curve.h); only server_public is used.
  // A wrong key gets no answer: Connect ends in DeadlineExceeded. Default:
  // empty, plain.
  net::CurveKeys curve;
  // A pull or push of more keys than this goes out as messages of at most
  // this many keys each, back to back, all in flight at once, so that a
  // server applies one while the next is on the wire (and the client copies
  // pulled rows while the rest arrive). The servers see several requests;
  // under --sync only the last carries the end of the step, and the
  // per-key results are those of one message. The servers' own
  // max_keys_per_message must be at least this (they refuse larger frames).
  // 0: one message per server. Default: kMaxKeysPerMessage
  size_t max_keys_per_message = kMaxKeysPerMessage;
};

class PsClient : public PullPushClient {
 public:
  // `context` must outlive the client.
  PsClient(zmq::context_t* context, ClientOptions options);
  ~PsClient() override;
  PsClient(const PsClient&) = delete;
  PsClient& operator=(const PsClient&) = delete;

  // Connects to every server and does a HELLO with each: the server must
  // speak this wire version, accept the job token (else no reply:
  // DeadlineExceeded after timeout_ms), have rank i at endpoint i
  // (FailedPrecondition) and know every table of options.tables with the
  // same dim (FailedPrecondition). InvalidArgument for a bad endpoint or
  // table list. Call once.
  Status Connect();

  // Starts an asynchronous pull of unique `keys` of `table`; rows land in
  // out_rows[keys.size() * dim] when Wait(ticket) returns OK. `create` =
  // false (evaluation): keys without a row read as zeros and no row is
  // created. keys and out_rows must stay alive until Wait. InvalidArgument
  // for an unknown table; FailedPrecondition before Connect; Unavailable
  // when a send fails (then there is nothing to Wait for).
  StatusOr<Ticket> Pull(uint32_t table, std::span<const Key> keys, float* out_rows, bool create = true) override;

  // Starts an asynchronous push of gradients grads[keys.size() * dim] for
  // unique `keys`; the client copies what it needs before returning.
  // InvalidArgument for an unknown table or a grads size that is not
  // keys.size() * dim.
  // `end_of_step` (--sync): this is the worker's last push of its step; it
  // goes to every server, as an empty push to those that own none of `keys`,
  // so that each server learns that the worker's step is complete.
  StatusOr<Ticket> Push(uint32_t table, std::span<const Key> keys, std::span<const float> grads,
                        bool end_of_step = false) override;

  // The step stamped on the PULLs and PUSHes started from now on. Under
  // --sync a server applies the pushes of step t before it answers a
  // creating pull of step t + 1. Default: 0
  void set_step(uint64_t step) override;

  // Blocks until every server answered request `ticket`: OK, the first
  // error Status a server replied with, DataLoss for a malformed reply,
  // DeadlineExceeded after timeout_ms (late replies are then dropped).
  // NotFound for a ticket that is not in flight. A ticket is waited once.
  Status Wait(Ticket ticket) override;

  // Asks every server to stop and waits for each to acknowledge.
  Status ShutdownServers();

  // Each server's counters, indexed by rank; `with_checksums` also fills
  // ServerStats::checksum_per_table (each server reads all its rows).
  StatusOr<std::vector<ServerStats>> Stats(bool with_checksums = false);

  // Asks every server to write its shard of every table into
  // `dir`/server-<rank>/ (docs/checkpoint_format.md) and waits, without a
  // deadline of its own beyond timeout_ms per reply; returns each server's
  // file list (one "<path> <bytes> <checksum hex>" line per file, paths
  // relative to `dir`), indexed by rank. The first server's error otherwise
  // (a full disk, a directory it cannot write), naming the server.
  StatusOr<std::vector<std::string>> Checkpoint(uint64_t step, const std::string& dir);

  int num_servers() const;
  // Tickets returned and not yet waited for.
  size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::ps
