// The c10d process group behind engine::DataParallel (engine-internal: torch types).
#pragma once
#include <torch/torch.h>

#include "engine.h"

namespace longalign::engine {

struct DataParallel::Impl {
  int rank = 0, world_size = 1;
  struct Group;
  std::unique_ptr<Group> group;
  // Sums `t` (contiguous) over every rank, in place; every rank must call it.
  void all_reduce_sum(torch::Tensor& t);
  ~Impl();
};

}  // namespace longalign::engine
