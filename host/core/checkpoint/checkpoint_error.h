// A bad checkpoint, named: "DIR/model.safetensors: tensor 'lm_head.weight': ...". Users fix the
// file (or pick another), so the CLI treats it as bad input.
#pragma once
#include <stdexcept>
#include <string>

namespace longalign::host {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace longalign::host
