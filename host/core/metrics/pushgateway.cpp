#include "metrics/pushgateway.h"

#include <prometheus/gateway.h>
#include <prometheus/registry.h>

#include <regex>
#include <stdexcept>

namespace longalign::metrics {
namespace {

prometheus::Labels labels_of(const Grouping& grouping) { return prometheus::Labels(grouping.begin(), grouping.end()); }

}  // namespace

Pushgateway::Pushgateway(const std::string& url) {
  std::smatch m;
  static const std::regex form(R"(http://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})(/.*)?)");
  if (!std::regex_match(url, m, form))
    throw std::invalid_argument("'" + url + "' is not http://HOST:PORT (e.g. http://127.0.0.1:9091)");
  std::string path = m[3].matched ? std::string(m[3]) : "";
  while (!path.empty() && path.back() == '/') path.pop_back();
  host_ = "http://" + std::string(m[1]);
  port_ = std::string(m[2]) + path;  // the Gateway joins HOST ':' PORT "/metrics/job/..."
  address_ = std::string(m[1]) + ":" + std::string(m[2]);
}

std::string Pushgateway::why(const std::string& method, int status) const {
  if (status >= 200 && status <= 299) return "";
  if (status < 100) return "the Pushgateway at " + address_ + " did not answer (curl error " + std::to_string(-status) + ")";
  return "the Pushgateway answered " + method + " with HTTP " + std::to_string(status);
}

// prometheus-cpp throws where curl cannot be set up: a failed push is a warning all the same.
std::string Pushgateway::push(const Grouping& grouping, const std::shared_ptr<prometheus::Registry>& metrics) const {
  try {
    prometheus::Gateway gateway(host_, port_, "longalign", labels_of(grouping));
    gateway.RegisterCollectable(metrics);
    return why("PUT", gateway.Push());
  } catch (const std::exception& e) {
    return "the Pushgateway at " + address_ + " could not be reached: " + e.what();
  }
}

std::string Pushgateway::remove(const Grouping& grouping) const {
  try {
    prometheus::Gateway gateway(host_, port_, "longalign", labels_of(grouping));
    return why("DELETE", gateway.DeleteForInstance());  // Delete() would address the job alone, not this group
  } catch (const std::exception& e) {
    return "the Pushgateway at " + address_ + " could not be reached: " + e.what();
  }
}

}  // namespace longalign::metrics
