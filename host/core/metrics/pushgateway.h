// A Prometheus Pushgateway (the batch-job pattern) through prometheus-cpp's Gateway: each cell's
// metrics go to their own group, job="longalign"/sweep/cell, and can be deleted once the results
// DB holds them. What is ours: the URL a user gives (http://HOST:PORT[/PATH]) checked up front,
// and a failure as a sentence for a warning (the caller goes on), not a status code.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace prometheus {
class Registry;
}

namespace longalign::metrics {

using Grouping = std::vector<std::pair<std::string, std::string>>;  // label name, value: [A-Za-z0-9_.-]

class Pushgateway {
 public:
  // Throws std::invalid_argument naming what is wrong with the URL.
  explicit Pushgateway(const std::string& url);
  // Each returns "" on success, else why it failed.
  std::string push(const Grouping& grouping, const std::shared_ptr<prometheus::Registry>& metrics) const;
  std::string remove(const Grouping& grouping) const;

 private:
  std::string why(const std::string& method, int status) const;
  std::string host_, port_;  // port_ carries the URL's path, which prometheus-cpp puts after it
  std::string address_;      // HOST:PORT, for messages
};

}  // namespace longalign::metrics
