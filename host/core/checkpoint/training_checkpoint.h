// A cell's training checkpoints, for resuming after a kill: <cell dir>/checkpoints/step-00000040/
// holds the model as a Hugging Face directory (model/), optimizer.safetensors (AdamW's moments;
// each tensor's step count in its metadata) and state.json ({"step": 40}). A checkpoint is
// written under a ".saving" name and renamed when whole, so a kill leaves a whole checkpoint or
// none; the newest `keep` stay.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>

namespace longalign::host {

struct TrainingCheckpoint {
  int64_t step = 0;
  std::filesystem::path dir;
};

std::optional<TrainingCheckpoint> latest_training_checkpoint(const std::filesystem::path& cell_dir);
std::filesystem::path training_checkpoint_dir(const std::filesystem::path& cell_dir, int64_t step);
// Removes all but the newest `keep` checkpoints (and any half-written one); returns the bytes
// the remaining ones take.
uint64_t prune_training_checkpoints(const std::filesystem::path& cell_dir, int keep);

}  // namespace longalign::host
