#include "cell/engine_info.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

#include "util/subprocess.h"

namespace longalign::host {

const EngineInfo& engine_info(const std::filesystem::path& binary) {
  static std::mutex mutex;
  static std::map<std::string, EngineInfo> known;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = known.find(binary.string()); it != known.end()) return it->second;
  // Loading libtorch (and, built with CUDA, looking for GPUs) takes seconds, not minutes.
  const ProcessResult r = run_process({binary.string(), "--engine-info"}, std::chrono::seconds(120));
  if (!r.ok()) throw std::runtime_error("cannot ask " + binary.string() + " what it trains on: it " + r.describe() +
                                        (r.err.empty() ? "" : ": " + r.err.substr(0, 500)));
  EngineInfo e;
  try {
    const nlohmann::json j = nlohmann::json::parse(r.out);
    e.cuda_built = j.at("cuda_built");
    e.cuda_available = j.at("cuda_available");
    e.cuda_why_not = j.at("cuda_why_not");
  } catch (const nlohmann::json::exception& ex) {
    throw std::runtime_error(binary.string() + " answered --engine-info with " + r.out.substr(0, 200) + ": " +
                             ex.what());
  }
  return known.emplace(binary.string(), e).first->second;
}

}  // namespace longalign::host
