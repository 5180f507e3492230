#include "host/emit/curve.h"

#include <sys/stat.h>
#include <zmq.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace clickagg::emit {

namespace {

constexpr size_t kZ85KeyLen = 40;

bool valid_z85_key(const std::string& k) {
  if (k.size() != kZ85KeyLen) return false;
  uint8_t bin[32];
  return zmq_z85_decode(bin, k.c_str()) != nullptr;
}

// The value of `name = "VALUE"` in a key file; empty when absent.
std::string field(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const size_t open = line.find('"'), close = line.rfind('"');
    if (open == std::string::npos || close <= open) return {};
    return line.substr(open + 1, close - open - 1);
  }
  return {};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read key file " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_new(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path);
}

}  // namespace

CurveKeyPair generate_curve_keys() {
  char pub[kZ85KeyLen + 1], sec[kZ85KeyLen + 1];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  return {pub, sec};
}

void write_key_files(const std::string& base, const CurveKeyPair& keys) {
  write_new(base + ".key",
            "# clickagg CURVE key pair (ZeroMQ Z85). Secret: keep it on this host, readable by its owner.\n"
            "public-key = \"" + keys.public_key + "\"\nsecret-key = \"" + keys.secret_key + "\"\n",
            0600);
  write_new(base + ".pub", "# clickagg CURVE public key (ZeroMQ Z85): give it to the peers.\npublic-key = \"" +
                               keys.public_key + "\"\n",
            0644);
}

CurveKeyPair read_key_pair(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot read key file " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    throw std::runtime_error("key file " + path + " is readable by others than its owner (chmod 600 it)");
  const std::string text = slurp(path);
  CurveKeyPair k{field(text, "public-key"), field(text, "secret-key")};
  if (!valid_z85_key(k.public_key) || !valid_z85_key(k.secret_key))
    throw std::runtime_error("key file " + path + " holds no CURVE key pair (make one with clickagg keygen)");
  // The public key must be the secret key's: a file edited by hand could pair them wrongly.
  char derived[kZ85KeyLen + 1];
  if (zmq_curve_public(derived, k.secret_key.c_str()) != 0 || k.public_key != derived)
    throw std::runtime_error("key file " + path + ": its public key does not belong to its secret key");
  return k;
}

std::string read_public_key(const std::string& path) {
  const std::string k = field(slurp(path), "public-key");
  if (!valid_z85_key(k)) throw std::runtime_error("key file " + path + " holds no CURVE public key");
  return k;
}

void make_curve_server(zmq::socket_t& sock, const CurveServer& keys, const std::string& zap_domain) {
  sock.set(zmq::sockopt::curve_server, true);
  sock.set(zmq::sockopt::curve_secretkey, keys.own.secret_key);
  // libzmq asks the context's ZAP handler about every handshake when one is bound, and admits
  // any client that completes the handshake when none is: with `allowed` set, the caller
  // starts the handler first (zap_authenticator.h).
  sock.set(zmq::sockopt::zap_domain, zap_domain);
}

void make_curve_client(zmq::socket_t& sock, const CurveClient& keys) {
  sock.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  sock.set(zmq::sockopt::curve_publickey, keys.own.public_key);
  sock.set(zmq::sockopt::curve_secretkey, keys.own.secret_key);
}

bool is_local_endpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  if (endpoint.rfind("tcp://", 0) != 0) return false;
  std::string host = endpoint.substr(6);
  const size_t colon = host.rfind(':');
  if (colon != std::string::npos) host = host.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void check_exposure(const std::string& what, const std::string& endpoint, bool secured, bool insecure) {
  if (secured || insecure || is_local_endpoint(endpoint)) return;
  throw std::runtime_error(what + " would listen on " + endpoint +
                           ", beyond this host, without CURVE: give it keys (clickagg keygen), or --insecure "
                           "to accept anyone who can reach it");
}

}  // namespace clickagg::emit
