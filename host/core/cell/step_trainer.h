// What the cell process trains through: an interface, so the torch-free host core can drive the
// engine (engine.h is torch-free too) while only the cell binary links libtorch.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "cell/cell_config.h"
#include "engine.h"

namespace longalign::host {

class StepTrainer {
 public:
  virtual ~StepTrainer() = default;
  virtual engine::StepStats step(const std::vector<engine::MicroBatch>& micro_batches) = 0;
  // sum w_t * l_t over the micro-batches, without training.
  virtual double evaluate(const std::vector<engine::MicroBatch>& micro_batches) = 0;
  // The model as a Hugging Face checkpoint directory.
  virtual void save_model(const std::filesystem::path& dir) = 0;
  // The whole training state (model, optimizer, step) into `dir`, a new directory; and back,
  // returning the step to go on from.
  virtual void save_checkpoint(const std::filesystem::path& dir) = 0;
  virtual int64_t restore_checkpoint(const std::filesystem::path& dir) = 0;
  // This process's place in a data-parallel group (one process: rank 0 of 1).
  virtual int rank() const { return 0; }
  virtual int world_size() const { return 1; }
  // The trained model for evaluators; nullptr where there is none to offer.
  virtual const class ServedModel* served_model() const { return nullptr; }
};

// Makes the trainer for a cell: its resolved config, seed, threads and number of optimizer steps.
using TrainerFactory = std::function<std::unique_ptr<StepTrainer>(const CellConfig& config, uint64_t seed, int threads,
                                                                  int64_t total_steps)>;

}  // namespace longalign::host
