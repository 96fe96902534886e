// Live metrics of a cell run without `longalign run` around it (a Slurm array task): its
// progress events pushed to a Prometheus Pushgateway, group job="longalign"/sweep/cell, each
// push replacing the last. `longalign submit --pushgateway URL` turns it on for a job's tasks
// (LONGALIGN_PUSHGATEWAY); Prometheus scrapes the Pushgateway (dashboards/prometheus.yml).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace longalign::metrics {
class Pushgateway;
}

namespace longalign::host {

class TaskMetrics {
 public:
  TaskMetrics(const std::string& pushgateway_url, std::string sweep, std::string cell);  // throws std::invalid_argument
  ~TaskMetrics();
  // A cell's event (started, progress, done, error): pushes the cell's state and latest progress.
  void observe(const nlohmann::json& event);

 private:
  std::unique_ptr<metrics::Pushgateway> gateway_;
  std::string sweep_, cell_, state_ = "running";
  nlohmann::json last_progress_ = nlohmann::json::object();
  bool warned_ = false;
};

}  // namespace longalign::host
