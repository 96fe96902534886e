// A cell's data: each [[data]] entry's exact count of examples, read from its source plugin and
// rendered with the chat template into token ids and target masks.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "text/chat_template.h"

namespace longalign::host {

// The tokenized sequences of a cell, in the order the batching plugin sees them.
struct Dataset {
  std::vector<uint32_t> lengths, targets;
  std::vector<Tokenized> tokens;
  uint32_t pad = 0;
};

struct DataPart {
  std::string name;  // the [[data]] entry
  int64_t examples = 0, tokens = 0;
};

// config: a resolved cell config; plugins: name -> {"file": ...}. Throws std::runtime_error
// naming the entry (and example) when a source falls short or an example cannot be rendered.
Dataset load_dataset(const nlohmann::json& config, const nlohmann::json& plugins, uint64_t seed,
                     std::vector<DataPart>& parts);

}  // namespace longalign::host
