// What the cell worker's engine can train on, asked of the worker binary itself
// (`longalign-cell --engine-info`): the torch-free host cannot know which libtorch the worker
// was built against, and a build may swap it.
#pragma once
#include <filesystem>
#include <string>

namespace longalign::host {

struct WorkerEngine {
  bool cuda_built = false;      // built against a CUDA libtorch
  bool cuda_available = false;  // and a GPU is visible here
  std::string cuda_why_not;
};

// Asks `worker` once per process (the answer is kept). Throws std::runtime_error naming the
// worker when it cannot be asked.
const WorkerEngine& worker_engine(const std::filesystem::path& worker);

}  // namespace longalign::host
