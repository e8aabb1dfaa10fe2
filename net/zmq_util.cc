#include "net/zmq_util.h"

#include <cerrno>

namespace ember::net {

Status ZmqStatus(const zmq::error_t& error, std::string_view call, std::string_view endpoint) {
  const int num = error.num();
  if (num == EINVAL || num == EPROTONOSUPPORT || num == ENOCOMPATPROTO) {
    return Status::InvalidArgument(call, "(", endpoint, "): ", error.what());
  }
  if (num == ETERM) return Status::Cancelled(call, "(", endpoint, "): ", error.what());
  return Status::Unavailable(call, "(", endpoint, "): ", error.what());
}

}  // namespace ember::net
