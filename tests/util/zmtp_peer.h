// tests/util/zmtp_peer.h: a hand-rolled peer on a tcp port, for the fault
// tests: plain connect() and write(), a ZMTP 3.0 NULL handshake written by
// hand, ZMTP frame headers of any declared size; and this process's
// /proc/self/status fields (VmRSS, VmHWM). Header-only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace ember::testing_util {

// VmRSS (or another /proc/self/status field) in bytes; -1 when unreadable.
inline int64_t StatusFieldBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return -1;
}
inline int64_t RssBytes() { return StatusFieldBytes("VmRSS"); }

inline int ConnectTcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Writes all of `bytes`; false when the peer closed (that is allowed).
inline bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// ZMTP 3.0 greeting (NULL mechanism, as client) and a READY command of a
// DEALER. libzmq 4.3 drops a peer whose READY arrives in the same segment as
// its greeting, so ZmtpConnect sends the two apart, as a real peer does.
inline std::string ZmtpHandshake() {
  std::string bytes;
  bytes += '\xff';
  bytes.append(8, '\0');
  bytes += '\x7f';
  bytes += '\x03';
  bytes += '\x00';
  std::string mechanism = "NULL";
  mechanism.resize(20, '\0');
  bytes += mechanism;
  bytes += '\x00';         // as-server
  bytes.append(31, '\0');  // filler
  std::string ready = "\x05READY";
  ready += '\x0b';
  ready += "Socket-Type";
  ready += std::string("\x00\x00\x00\x06", 4);
  ready += "DEALER";
  bytes += '\x04';  // command, short size
  bytes += static_cast<char>(ready.size());
  bytes += ready;
  return bytes;
}

// A ZMTP frame header: flags (MORE = 1, LONG = 2) and size.
inline std::string ZmtpFrameHeader(uint64_t size, bool more) {
  std::string bytes;
  if (size < 256) {
    bytes += static_cast<char>(more ? 0x01 : 0x00);
    bytes += static_cast<char>(size);
  } else {
    bytes += static_cast<char>(more ? 0x03 : 0x02);
    for (int shift = 56; shift >= 0; shift -= 8) bytes += static_cast<char>(size >> shift);
  }
  return bytes;
}

inline constexpr size_t kZmtpGreetingBytes = 64;

// Connects and does the ZMTP 3.0 NULL handshake: our greeting, the server's
// greeting, our READY. -1 when the server does not answer within 2 s.
inline int ZmtpConnect(int port) {
  const int fd = ConnectTcp(port);
  if (fd < 0) return -1;
  const std::string handshake = ZmtpHandshake();
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char greeting[kZmtpGreetingBytes];
  size_t got = 0;
  bool ok = WriteAll(fd, handshake.substr(0, kZmtpGreetingBytes));
  while (ok && got < kZmtpGreetingBytes) {
    const ssize_t n = ::recv(fd, greeting + got, kZmtpGreetingBytes - got, 0);
    ok = n > 0;
    if (ok) got += static_cast<size_t>(n);
  }
  if (!ok || !WriteAll(fd, handshake.substr(kZmtpGreetingBytes))) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline int PortOf(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

}  // namespace ember::testing_util
