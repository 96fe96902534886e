// The tokenizer a cell trains with, from its resolved `tokenizer` setting: "byte", or a
// directory holding a tokenizer.json (sweep/resolve.cpp turns "auto" and relative paths into
// one of these). Each directory is read once per process.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "text/tokenizer.h"

namespace longalign::host {

// Throws std::invalid_argument (hf::TokenizerFileError for a bad file) naming the file.
std::shared_ptr<const Tokenizer> cell_tokenizer(const std::string& setting);

// Copies the tokenizer's files (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// where they are) into a saved model directory, so transformers and `longalign score` read the
// model with the tokenizer it was trained with, and writes its BOS and EOS ids into the
// directory's config.json. Nothing for "byte".
void save_tokenizer_files(const std::string& setting, const std::filesystem::path& model_dir);

}  // namespace longalign::host
