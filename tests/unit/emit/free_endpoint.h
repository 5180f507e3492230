// A loopback TCP endpoint with a port that was free a moment ago. Ports come from below the
// kernel's ephemeral range: a client reconnecting to a port in that range while nothing
// listens can be handed that very port as its own source port (a TCP self-connect), and the
// server restarting there would then find it in use.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace clickagg::testing {

inline bool port_is_free(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

inline std::string free_tcp_endpoint() {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const int low = 10000, high = std::max(low + 1000, ephemeral_low);
  std::random_device rd;
  std::mt19937 rng(rd());
  std::uniform_int_distribution<int> pick(low, high - 1);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<uint16_t>(pick(rng));
    if (port_is_free(port)) return "tcp://127.0.0.1:" + std::to_string(port);
  }
  throw std::runtime_error("cannot find a free port");
}

}  // namespace clickagg::testing
