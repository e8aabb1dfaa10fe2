#include "net/connection_cap.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <glog/logging.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <zmq.h>

#include <cstdlib>
#include <cstring>

#include "common/logging.h"

namespace ember::net {
namespace {

constexpr int kPollMs = 100;  // how often the thread looks at stop_

// The local port of socket `fd`, or -1 if it is not an IPv4/IPv6 socket.
int LocalPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  return -1;
}

// "host:port" of the peer of `fd`, or empty if it has none.
std::string PeerOf(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  } else {
    return "";
  }
  return std::string(host) + ":" + std::to_string(port);
}

// Whether `fd` is an established connection on local port `port`: one
// libzmq accepted on the listener of that port (the listener listens; a
// connection shut down or closed by its peer is on its way out).
bool IsConnectionOn(int fd, int port) {
  if (LocalPort(fd) != port) return false;
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return false;
  return info.tcpi_state == TCP_ESTABLISHED;
}

}  // namespace

int OpenConnectionsOn(int port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    count += IsConnectionOn(std::atoi(entry->d_name), port);
  }
  ::closedir(dir);
  return count;
}

StatusOr<std::unique_ptr<ConnectionCap>> ConnectionCap::Start(zmq::context_t* context, zmq::socket_t* socket,
                                                              int max_connections, std::string name) {
  if (max_connections < 1) return Status::InvalidArgument(name, ": max_connections = ", max_connections, ", want >= 1");
  // One inproc name per watched socket in the process.
  static std::atomic<uint64_t> next_id{0};
  const std::string endpoint = "inproc://ember-connection-cap-" + std::to_string(next_id.fetch_add(1));
  if (zmq_socket_monitor(socket->handle(), endpoint.c_str(), ZMQ_EVENT_LISTENING | ZMQ_EVENT_ACCEPTED) != 0) {
    return Status::Unavailable(name, ": zmq_socket_monitor: ", zmq_strerror(zmq_errno()));
  }
  try {
    zmq::socket_t events(*context, zmq::socket_type::pair);
    events.set(zmq::sockopt::rcvtimeo, kPollMs);
    events.set(zmq::sockopt::linger, 0);
    events.connect(endpoint);
    std::unique_ptr<ConnectionCap> cap(new ConnectionCap(max_connections, std::move(name), std::move(events)));
    cap->thread_ = std::thread([raw = cap.get()] { raw->Loop(); });
    return cap;
  } catch (const zmq::error_t& e) {
    return Status::Unavailable(name, ": connection monitor: ", e.what());
  }
}

ConnectionCap::ConnectionCap(int max_connections, std::string name, zmq::socket_t events)
    : max_connections_(max_connections), name_(std::move(name)), events_(std::move(events)) {}

ConnectionCap::~ConnectionCap() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ConnectionCap::Loop() {
  while (!stop_.load()) {
    // An event is two frames: [u16 event, u32 value] in host order, then
    // the endpoint (zmq_socket_monitor(3)).
    zmq::message_t event, address;
    try {
      if (!events_.recv(event)) continue;  // timed out: look at stop_
      if (!event.more() || !events_.recv(address)) continue;
    } catch (const zmq::error_t&) {
      return;  // the context is terminating
    }
    if (event.size() < 6) continue;
    uint16_t id = 0;
    uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof(id));
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof(value));
    const int fd = static_cast<int>(value);
    if (id == ZMQ_EVENT_LISTENING) {
      listen_port_ = LocalPort(fd);
    } else if (id == ZMQ_EVENT_ACCEPTED) {
      OnAccepted(fd);
      checked_.fetch_add(1);
    }
  }
}

void ConnectionCap::OnAccepted(int fd) {
  if (listen_port_ < 0) return;
  const int open = OpenConnectionsOn(listen_port_);
  if (open <= max_connections_) return;
  // Still the connection libzmq accepted (or a later one on the same
  // listener, past the cap too): its descriptor may have been closed and
  // reused since the event was sent.
  const std::string peer = PeerOf(fd);
  if (!IsConnectionOn(fd, listen_port_)) return;
  ::shutdown(fd, SHUT_RDWR);
  const int64_t refused = refused_.fetch_add(1) + 1;
  LOG_IF(WARNING, ShouldLogNth(refused)) << name_ << ": closed the tcp connection from " << peer << ": " << open
                                         << " open on port " << listen_port_ << " with it, at most " << max_connections_
                                         << " [closed so far: " << refused << "]";
}

}  // namespace ember::net
