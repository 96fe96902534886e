// Serves a prometheus-cpp registry at http://ADDRESS:PORT/metrics for Prometheus to scrape
// (prometheus-cpp's Exposer, over civetweb). What is ours is what it does not check: an IPv4
// address, a port in range, and a port in use, which is bad input with a way out (a free port
// nearby, or 0 for no endpoint) instead of a CivetException.
#pragma once
#include <memory>
#include <string>

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace longalign::metrics {

class Endpoint {
 public:
  // Throws std::invalid_argument for a bad address, std::runtime_error when it cannot listen,
  // saying why and, when the port is taken, which nearby port is free.
  Endpoint(const std::string& bind_address, int port, const std::shared_ptr<prometheus::Registry>& registry);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  std::string url() const;

 private:
  std::string address_;
  int port_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace longalign::metrics
