// What the cell process's engine can train on, asked of the cell binary itself
// (`longalign-cell --engine-info`): the torch-free host cannot know which libtorch the cell process
// was built against, and a build may swap it.
#pragma once
#include <filesystem>
#include <string>

namespace longalign::host {

struct EngineInfo {
  bool cuda_built = false;      // built against a CUDA libtorch
  bool cuda_available = false;  // and a GPU is visible here
  std::string cuda_why_not;
};

// Asks `binary` once per process (the answer is kept). Throws std::runtime_error naming the
// binary when it cannot be asked.
const EngineInfo& engine_info(const std::filesystem::path& binary);

}  // namespace longalign::host
