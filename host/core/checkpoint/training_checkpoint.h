// A cell's training checkpoints, for resuming after a kill: <cell dir>/checkpoints/step-00000040/
// holds the model as a Hugging Face directory (model/), optimizer.safetensors (AdamW's moments;
// each tensor's step count in its metadata) and state.json ({"step": 40}). A checkpoint is
// written under a ".saving" name and renamed when whole, so a kill leaves a whole checkpoint or
// none; the newest `keep` stay.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

namespace longalign::host {

struct TrainingCheckpoint {
  int64_t step = 0;
  std::filesystem::path dir;
};

std::optional<TrainingCheckpoint> latest_training_checkpoint(const std::filesystem::path& cell_dir);

// Writes the checkpoint of `step`: `write` fills a new directory, which becomes the checkpoint
// once whole; then all but the newest `keep` go. Returns the bytes the kept ones take.
uint64_t save_training_checkpoint(const std::filesystem::path& cell_dir, int64_t step, int keep,
                                  const std::function<void(const std::filesystem::path&)>& write);

}  // namespace longalign::host
