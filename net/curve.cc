#include "net/curve.h"

#include <zmq.h>

#include <cerrno>

namespace ember::net {
namespace {

constexpr size_t kZ85KeyChars = 40;

// One sockopt; a zmq error becomes a Status naming the option.
template <typename Option>
Status SetKey(zmq::socket_t* socket, Option option, const std::string& value, const char* name) {
  try {
    socket->set(option, value);
  } catch (const zmq::error_t& e) {
    if (e.num() == EINVAL) return Status::InvalidArgument("zmq_setsockopt(", name, "): ", e.what());
    return Status::Internal("zmq_setsockopt(", name, "): ", e.what());
  }
  return Status::OK();
}

Status CheckKey(const std::string& key, const char* name) {
  if (key.size() != kZ85KeyChars) {
    return Status::InvalidArgument("CURVE ", name, " must be ", kZ85KeyChars, " Z85 characters; got ", key.size());
  }
  return Status::OK();
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") == 1; }

StatusOr<CurveKeys> MakeCurveKeys() {
  if (!CurveAvailable()) {
    return Status::FailedPrecondition("this libzmq was built without CURVE (zmq_has(\"curve\") = 0)");
  }
  char public_key[kZ85KeyChars + 1] = {};
  char secret_key[kZ85KeyChars + 1] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Internal("zmq_curve_keypair: ", zmq_strerror(zmq_errno()));
  }
  return CurveKeys{public_key, secret_key};
}

Status ApplyCurveServer(zmq::socket_t* socket, const CurveKeys& keys) {
  if (!keys.enabled()) return Status::OK();
  if (!CurveAvailable()) return Status::FailedPrecondition("CURVE server socket: libzmq has no CURVE");
  RETURN_IF_ERROR(CheckKey(keys.server_public, "server public key"));
  RETURN_IF_ERROR(CheckKey(keys.server_secret, "server secret key"));
  try {
    socket->set(zmq::sockopt::curve_server, true);
  } catch (const zmq::error_t& e) {
    return Status::Internal("zmq_setsockopt(ZMQ_CURVE_SERVER, 1): ", e.what());
  }
  return SetKey(socket, zmq::sockopt::curve_secretkey, keys.server_secret, "ZMQ_CURVE_SECRETKEY");
}

Status ApplyCurveClient(zmq::socket_t* socket, const CurveKeys& keys) {
  if (!keys.enabled()) return Status::OK();
  if (!CurveAvailable()) return Status::FailedPrecondition("CURVE client socket: libzmq has no CURVE");
  RETURN_IF_ERROR(CheckKey(keys.server_public, "server public key"));
  ASSIGN_OR_RETURN(CurveKeys own, MakeCurveKeys());  // this socket's ephemeral keypair
  RETURN_IF_ERROR(SetKey(socket, zmq::sockopt::curve_serverkey, keys.server_public, "ZMQ_CURVE_SERVERKEY"));
  RETURN_IF_ERROR(SetKey(socket, zmq::sockopt::curve_publickey, own.server_public, "ZMQ_CURVE_PUBLICKEY"));
  return SetKey(socket, zmq::sockopt::curve_secretkey, own.server_secret, "ZMQ_CURVE_SECRETKEY");
}

}  // namespace ember::net
