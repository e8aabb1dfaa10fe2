// net/connection_cap.h: a bound on the tcp connections of a bound socket.
//
// libzmq accepts every connection its listener gets and has no option that
// caps them; each holds a file descriptor and libzmq's buffers, so a peer
// that opens thousands would take the process's descriptors from RocksDB
// and from the job's own peers. A ConnectionCap watches the socket's
// accepted connections (zmq_socket_monitor, on a thread of its own), counts
// the established connections on the listener's port (the process's
// descriptors, in /proc/self/fd), and shuts down (shutdown(2)) a connection
// accepted past `max_connections`: libzmq reads the end of its stream and closes it as it
// closes any peer that hangs up. The counted set is the kernel's, so an
// event libzmq drops costs no accuracy, only a late check. Linux.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ConnectionCap> cap,
//                    ConnectionCap::Start(&context, &socket, 64, "server 0"));
//   socket.bind("tcp://127.0.0.1:*");   // after Start: the listener is watched from its first connection
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "common/status.h"

namespace ember::net {

class ConnectionCap {
 public:
  // Watches `socket` (not yet bound; a tcp endpoint is bound after this):
  // past `max_connections` open tcp connections, each new one is closed
  // and logged (WARNING, rate-limited, naming `name` and the peer). Call
  // from the thread that owns the socket. InvalidArgument for
  // max_connections < 1; Unavailable if libzmq cannot start the monitor.
  static StatusOr<std::unique_ptr<ConnectionCap>> Start(zmq::context_t* context, zmq::socket_t* socket,
                                                        int max_connections, std::string name);
  ~ConnectionCap();  // stops the watching thread; the socket may close before or after
  ConnectionCap(const ConnectionCap&) = delete;
  ConnectionCap& operator=(const ConnectionCap&) = delete;

  // Accepted connections the cap has looked at so far, and those of them
  // it closed for being past the cap (counted after the close). Any thread.
  int64_t checked() const { return checked_.load(); }
  int64_t refused() const { return refused_.load(); }

 private:
  ConnectionCap(int max_connections, std::string name, zmq::socket_t events);
  void Loop();
  void OnAccepted(int fd);

  const int max_connections_;
  const std::string name_;
  zmq::socket_t events_;  // PAIR connected to the socket's monitor; the thread's alone
  int listen_port_ = -1;  // from the LISTENING event; the thread's alone
  std::atomic<int64_t> checked_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The established tcp connections of this process on local port `port`
// (what a cap counts; a connection its peer closed is not among them).
int OpenConnectionsOn(int port);

}  // namespace ember::net
