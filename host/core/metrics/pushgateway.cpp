#include "metrics/pushgateway.h"

#include <civetweb.h>

#include <regex>
#include <stdexcept>

namespace longalign::metrics {
namespace {

std::string base64url(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) | static_cast<unsigned char>(s[i + 2]);
    for (int sh = 18; sh >= 0; sh -= 6) out += k[(v >> sh) & 63];
  }
  if (i < s.size()) {
    unsigned v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    if (i + 1 < s.size()) out += k[(v >> 6) & 63];
    out += std::string(i + 1 < s.size() ? 1 : 2, '=');
  }
  return out;
}

// The grouping key as path segments; values outside [A-Za-z0-9_.-] go base64-encoded, as the
// Pushgateway's API allows with the "@base64" suffix.
std::string group_path(const std::vector<std::pair<std::string, std::string>>& grouping) {
  static const std::regex plain("[A-Za-z0-9_.-]+");
  std::string p = "/metrics/job/longalign";
  for (auto& [k, v] : grouping)
    p += std::regex_match(v, plain) ? "/" + k + "/" + v : "/" + k + "@base64/" + base64url(v);
  return p;
}

}  // namespace

Pushgateway::Pushgateway(const std::string& url) {
  std::smatch m;
  static const std::regex form(R"(http://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})(/.*)?)");
  if (!std::regex_match(url, m, form))
    throw std::invalid_argument("'" + url + "' is not http://HOST:PORT (e.g. http://127.0.0.1:9091)");
  host_ = m[1];
  port_ = std::stoi(m[2]);
  prefix_ = m[3].matched ? std::string(m[3]) : "";
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
}

std::string Pushgateway::request(const std::string& method, const std::string& path, const std::string& body) const {
  char err[256] = "";
  mg_connection* conn = mg_download(host_.c_str(), port_, 0, err, sizeof err,
                                    "%s %s%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/plain; version=0.0.4\r\n"
                                    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                    method.c_str(), prefix_.c_str(), path.c_str(), host_.c_str(), port_, body.size(),
                                    body.c_str());
  if (!conn) return "the Pushgateway at " + host_ + ":" + std::to_string(port_) + " did not answer: " + err;
  const mg_response_info* info = mg_get_response_info(conn);
  const int status = info ? info->status_code : 0;
  mg_close_connection(conn);
  if (status < 200 || status > 299) return "the Pushgateway answered " + method + " with HTTP " + std::to_string(status);
  return "";
}

std::string Pushgateway::push(const std::vector<std::pair<std::string, std::string>>& grouping, const std::string& exposition) const {
  return request("PUT", group_path(grouping), exposition);
}

std::string Pushgateway::remove(const std::vector<std::pair<std::string, std::string>>& grouping) const {
  return request("DELETE", group_path(grouping), "");
}

}  // namespace longalign::metrics
