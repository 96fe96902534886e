#include "metrics/exposer.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace longalign::metrics {
namespace {

int serve(mg_connection* conn, void* data) {
  const std::string body = static_cast<const Registry*>(data)->Serialize();
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            body.size());
  mg_write(conn, body.data(), body.size());
  return 200;
}

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

Exposer::Exposer(const std::string& bind_address, int port, const Registry& registry)
    : registry_(registry), address_(bind_address), port_(port) {
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
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "2", nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char*) { return 1; };  // errors come back to us
  ctx_ = mg_start(&callbacks, nullptr, options);
  if (!ctx_) throw std::runtime_error("cannot serve metrics on " + listen);
  mg_set_request_handler(ctx_, "/metrics$", serve, const_cast<Registry*>(&registry_));
}

Exposer::~Exposer() {
  if (ctx_) mg_stop(ctx_);
}

std::string Exposer::url() const { return "http://" + address_ + ":" + std::to_string(port_) + "/metrics"; }

}  // namespace longalign::metrics
