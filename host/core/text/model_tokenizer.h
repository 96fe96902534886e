// A model directory's tokenizer: its tokenizer.json (a Hugging Face fast tokenizer) when it has
// one, else its sentencepiece tokenizer.model, else the byte tokenizer when the vocabulary holds
// its ids. Linked only into torch-free binaries (see host/core/CMakeLists.txt).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>

#include "text/tokenizer.h"

namespace longalign::host {

// Throws std::invalid_argument naming the file when the tokenizer cannot serve a model of
// `vocab_size` ids.
std::unique_ptr<Tokenizer> tokenizer_for_model(const std::filesystem::path& dir, int64_t vocab_size);

}  // namespace longalign::host
