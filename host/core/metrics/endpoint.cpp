#include "metrics/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <stdexcept>

namespace longalign::metrics {
namespace {

bool port_free(const std::string& address, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

Endpoint::Endpoint(const std::string& bind_address, int port, const std::shared_ptr<prometheus::Registry>& registry)
    : address_(bind_address), port_(port) {
  in_addr probe{};
  if (inet_pton(AF_INET, bind_address.c_str(), &probe) != 1)
    throw std::invalid_argument("'" + bind_address + "' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)");
  if (port < 1 || port > 65535) throw std::runtime_error(std::to_string(port) + " is not a port (1-65535, or 0 for off)");
  if (!port_free(bind_address, port)) {
    std::string hint = " (--metrics-port 0 turns the endpoint off)";
    for (int p = port + 1; p < port + 50 && p <= 65535; ++p)
      if (port_free(bind_address, p)) {
        hint = ": try --metrics-port " + std::to_string(p) + ", free now, or --metrics-port 0 to turn the endpoint off";
        break;
      }
    throw std::runtime_error("the metrics port " + bind_address + ":" + std::to_string(port) + " is in use" + hint);
  }
  const std::string listen = bind_address + ":" + std::to_string(port);
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {  // taken between the check and now, or another failure
    throw std::runtime_error("cannot serve metrics on " + listen + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry);
}

Endpoint::~Endpoint() = default;

std::string Endpoint::url() const { return "http://" + address_ + ":" + std::to_string(port_) + "/metrics"; }

}  // namespace longalign::metrics
