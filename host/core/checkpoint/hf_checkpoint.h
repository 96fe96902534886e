// Hugging Face Llama checkpoint directories: config.json plus model.safetensors, or shards
// listed by model.safetensors.index.json. Loading maps the files and checks every tensor the
// config implies (present, right shape, a supported dtype) before the engine sees one; saving
// writes a new directory beside the old and swaps it in, so a reader never sees half of one.
#pragma once
#include <filesystem>
#include <memory>
#include <vector>

#include "checkpoint/safetensors.h"
#include "engine.h"

namespace longalign::host {

struct HfCheckpoint {
  engine::ModelConfig config;
  std::vector<engine::TensorView> tensors;  // tensor_layout(config)'s order; they point into `files`
  std::vector<std::unique_ptr<MappedFile>> files;
};

// Throws CheckpointError naming the file and, where one is at fault, the tensor or key.
HfCheckpoint load_hf_checkpoint(const std::filesystem::path& dir);

// `tensors` as engine::Model::tensors gives them; shard_bytes > 0 splits the weights into
// files of about that size with an index, as transformers does for large models.
void save_hf_checkpoint(const std::filesystem::path& dir, const engine::ModelConfig& config,
                        const std::vector<engine::TensorData>& tensors, uint64_t shard_bytes = 0);

}  // namespace longalign::host
