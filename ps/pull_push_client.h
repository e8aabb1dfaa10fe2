// ps/pull_push_client.h: the calls a worker's step pipeline makes of the
// parameter servers, as an interface: PsClient (client.h) implements it over
// the wire, and a test's fake stands behind it without sockets.
//
// A request is started by Pull or Push and named by a Ticket; Wait completes
// it. Several requests may be in flight at once; each ticket is waited once.
// Threading: as the implementation says (PsClient: one thread).
//
//   ASSIGN_OR_RETURN(Ticket pull, client->Pull(table_id, unique_keys, rows.data()));
//   RETURN_IF_ERROR(client->Wait(pull));
//   ASSIGN_OR_RETURN(Ticket push, client->Push(table_id, unique_keys, grads));
//   RETURN_IF_ERROR(client->Wait(push));
#pragma once

#include <cstdint>
#include <span>

#include "common/hash.h"
#include "common/status.h"

namespace ember::ps {

using Ticket = uint64_t;

class PullPushClient {
 public:
  virtual ~PullPushClient() = default;

  // Starts a pull of unique `keys` of `table`; the rows land in
  // out_rows[keys.size() * dim] when Wait(ticket) returns OK. create = false
  // (evaluation): keys without a row read as zeros and no row is created.
  // keys and out_rows must stay alive until Wait.
  virtual StatusOr<Ticket> Pull(uint32_t table, std::span<const Key> keys, float* out_rows, bool create = true) = 0;

  // Starts a push of gradients grads[keys.size() * dim] for unique `keys`;
  // the client copies what it needs before returning. end_of_step (--sync):
  // the worker's last push of its step, which reaches every server.
  virtual StatusOr<Ticket> Push(uint32_t table, std::span<const Key> keys, std::span<const float> grads,
                                bool end_of_step = false) = 0;

  // The step stamped on the pulls and pushes started from now on (--sync
  // orders them by it).
  virtual void set_step(uint64_t step) = 0;

  // Blocks until request `ticket` is answered: OK or the request's error.
  virtual Status Wait(Ticket ticket) = 0;
};

}  // namespace ember::ps
