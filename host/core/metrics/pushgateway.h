// A Prometheus Pushgateway client (the batch-job pattern): each finished cell's final metrics
// go to their own group, job="longalign"/sweep/cell, and can be deleted once the results DB
// holds them. Plain HTTP through civetweb's client.
#pragma once
#include <string>
#include <vector>

#include "metrics/registry.h"

namespace longalign::metrics {

class Pushgateway {
 public:
  // url: http://HOST:PORT[/PATH]. Throws std::invalid_argument naming what is wrong with it.
  explicit Pushgateway(const std::string& url);
  // Each returns "" on success, else why it failed (the caller warns and goes on).
  std::string push(const std::vector<std::pair<std::string, std::string>>& grouping, const std::string& exposition) const;
  std::string remove(const std::vector<std::pair<std::string, std::string>>& grouping) const;

 private:
  std::string request(const std::string& method, const std::string& path, const std::string& body) const;
  std::string host_, prefix_;
  int port_ = 0;
};

}  // namespace longalign::metrics
