// Authenticated, encrypted ZeroMQ channels with libzmq's CURVE: key files, socket setup, and
// the rule that a channel listens beyond this host only when secured (or told --insecure).
//
// A key pair lives in two files that `clickagg keygen --out NAME` writes: NAME.key (both keys;
// readable by its owner alone) and NAME.pub (the public key, to hand to peers). Keys are Z85
// text, 40 characters. The sink is a CURVE server with its own pair and admits only the
// aggregators whose public keys it is given (a ZAP handler, zap_authenticator.h); an
// aggregator is a CURVE client with its own pair and the sink's public key. The PUB socket may
// be a CURVE server too, for subscribers that know its public key.
#pragma once
#include <set>
#include <string>

namespace zmq {
class socket_t;
}

namespace clickagg::emit {

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

// A fresh pair from libzmq (libsodium's random source).
CurveKeyPair generate_curve_keys();
// Writes BASE.key (mode 0600, both keys) and BASE.pub; refuses to overwrite either.
void write_key_files(const std::string& base, const CurveKeyPair& keys);
// A .key file's pair. Throws std::runtime_error when the file is unreadable, malformed, or
// readable by others than its owner.
CurveKeyPair read_key_pair(const std::string& path);
// The public key in a .pub or .key file. Throws std::runtime_error.
std::string read_public_key(const std::string& path);

// The server side of a channel: its own pair, and the clients admitted (public keys, Z85;
// empty: any client that knows the server's public key).
struct CurveServer {
  CurveKeyPair own;
  std::set<std::string> allowed;
};
// The client side: its own pair and the server's public key.
struct CurveClient {
  CurveKeyPair own;
  std::string server_public_key;
};

// Before bind: the socket accepts only CURVE clients, checked under `zap_domain`.
void make_curve_server(zmq::socket_t& sock, const CurveServer& keys, const std::string& zap_domain);
// Before connect.
void make_curve_client(zmq::socket_t& sock, const CurveClient& keys);

// True for endpoints only this host can reach: ipc://, inproc://, and tcp:// on a loopback
// address (127.0.0.0/8, ::1, localhost).
bool is_local_endpoint(const std::string& endpoint);
// Throws std::runtime_error when `endpoint` reaches beyond this host, is not secured, and
// `insecure` was not given; `what` names the channel in the message.
void check_exposure(const std::string& what, const std::string& endpoint, bool secured, bool insecure);

}  // namespace clickagg::emit
