// net/curve.h: CurveZMQ encryption of the job's sockets, set up in one place.
//
// With --curve (mpirun mode), rank 0 makes one per-job server keypair with
// MakeCurveKeys and sends it to every rank over MPI (like the job token, it
// is a secret of the job). Every ROUTER that binds (the servers', the
// scheduler's) becomes a CURVE server with that keypair; every DEALER that
// connects (PsClient's, the worker's control socket, the heartbeat sender)
// becomes a CURVE client with an ephemeral keypair of its own and the
// server public key. A peer without the key cannot complete the handshake:
// its messages never reach the application (docs/wire_format.md,
// "Encryption"). Empty keys (the default) leave a socket plain; local mode
// over inproc stays plain.
//
//   ASSIGN_OR_RETURN(net::CurveKeys keys, net::MakeCurveKeys());
//   RETURN_IF_ERROR(net::ApplyCurveServer(&router, keys));   // before bind
//   RETURN_IF_ERROR(net::ApplyCurveClient(&dealer, keys));   // before connect
//
// Thread-safety: free functions; a socket is set up by the thread that owns it.
#pragma once

#include <string>

#include <zmq.hpp>

#include "common/status.h"

namespace ember::net {

// The job's CURVE server keypair, each key 40 Z85 characters. Both empty:
// no encryption. A client needs only server_public.
struct CurveKeys {
  std::string server_public;
  std::string server_secret;
  bool enabled() const { return !server_public.empty(); }
};

// True when this libzmq was built with CURVE (zmq_has("curve")).
bool CurveAvailable();

// A fresh keypair from zmq_curve_keypair. FailedPrecondition when libzmq
// has no CURVE, Internal when the call fails.
StatusOr<CurveKeys> MakeCurveKeys();

// Makes `socket` a CURVE server with keys.server_secret (before bind). OK and
// no change when !keys.enabled(). InvalidArgument for a key that is not 40
// Z85 characters or missing secret; FailedPrecondition without CURVE in
// libzmq; the message names the option.
Status ApplyCurveServer(zmq::socket_t* socket, const CurveKeys& keys);

// Makes `socket` a CURVE client of keys.server_public with a fresh
// ephemeral keypair of its own (before connect). OK and no change when
// !keys.enabled(). Errors as ApplyCurveServer.
Status ApplyCurveClient(zmq::socket_t* socket, const CurveKeys& keys);

}  // namespace ember::net
