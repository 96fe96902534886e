// Serves a registry's metrics over HTTP (civetweb) at /metrics, for Prometheus to scrape.
#pragma once
#include <string>

#include "metrics/registry.h"

struct mg_context;

namespace longalign::metrics {

class Exposer {
 public:
  // Listens on bind_address:port. Throws std::invalid_argument for a bad address, and
  // std::runtime_error when it cannot listen, saying why and, when the port is taken, which
  // nearby port is free (or that port 0 turns the endpoint off).
  Exposer(const std::string& bind_address, int port, const Registry& registry);
  ~Exposer();
  Exposer(const Exposer&) = delete;
  Exposer& operator=(const Exposer&) = delete;
  std::string url() const;

 private:
  const Registry& registry_;
  std::string address_;
  int port_;
  mg_context* ctx_ = nullptr;
};

}  // namespace longalign::metrics
