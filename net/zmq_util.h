// net/zmq_util.h: ZeroMQ errors as Status, in one place for every module above net/.
#pragma once

#include <string_view>

#include <zmq.hpp>

#include "common/status.h"

namespace ember::net {

// Translates a zmq error of `call` on `endpoint` into a Status: a malformed
// endpoint or unsupported transport is InvalidArgument, a terminated
// context Cancelled, anything else Unavailable; the message names both.
Status ZmqStatus(const zmq::error_t& error, std::string_view call, std::string_view endpoint);

}  // namespace ember::net
