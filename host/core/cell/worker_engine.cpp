#include "cell/worker_engine.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

#include "util/subprocess.h"

namespace longalign::host {

const WorkerEngine& worker_engine(const std::filesystem::path& worker) {
  static std::mutex mutex;
  static std::map<std::string, WorkerEngine> known;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = known.find(worker.string()); it != known.end()) return it->second;
  // Loading libtorch (and, built with CUDA, looking for GPUs) takes seconds, not minutes.
  const ProcessResult r = run_process({worker.string(), "--engine-info"}, std::chrono::seconds(120));
  if (!r.ok()) throw std::runtime_error("cannot ask the cell worker " + worker.string() + " what it trains on: it " + r.describe() +
                                        (r.err.empty() ? "" : ": " + r.err.substr(0, 500)));
  WorkerEngine e;
  try {
    const nlohmann::json j = nlohmann::json::parse(r.out);
    e.cuda_built = j.at("cuda_built");
    e.cuda_available = j.at("cuda_available");
    e.cuda_why_not = j.at("cuda_why_not");
  } catch (const nlohmann::json::exception& ex) {
    throw std::runtime_error("the cell worker " + worker.string() + " answered --engine-info with " + r.out.substr(0, 200) + ": " +
                             ex.what());
  }
  return known.emplace(worker.string(), e).first->second;
}

}  // namespace longalign::host
