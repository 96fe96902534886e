#include "text/cell_tokenizer.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

#include "text/hf_tokenizer.h"
#include "util/atomic_file.h"
#include "util/read_file.h"

namespace longalign::host {

std::shared_ptr<const Tokenizer> cell_tokenizer(const std::string& setting) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Tokenizer>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = loaded.find(setting); it != loaded.end()) return it->second;
  std::shared_ptr<const Tokenizer> t;
  if (setting == "byte") {
    t = std::make_shared<ByteTokenizer>();
  } else {
    if (!std::filesystem::exists(std::filesystem::path(setting) / "tokenizer.json"))
      throw std::invalid_argument(setting + " holds no tokenizer.json (a tokenizer is \"byte\", \"auto\" or a directory with one)");
    t = std::make_shared<HfTokenizer>(setting);
  }
  return loaded.emplace(setting, t).first->second;
}

void save_tokenizer_files(const std::string& setting, const std::filesystem::path& model_dir) {
  if (setting == "byte") return;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"}) {
    const std::filesystem::path from = std::filesystem::path(setting) / name;
    if (!std::filesystem::exists(from)) continue;
    write_file_atomically(model_dir / name, read_file(from));
  }
  // The special tokens' ids in config.json, where transformers' generate() looks for them.
  const std::filesystem::path config_file = model_dir / "config.json";
  nlohmann::json config = nlohmann::json::parse(read_file(config_file));
  const std::shared_ptr<const Tokenizer> tok = cell_tokenizer(setting);
  for (auto [key, id] : {std::pair{"bos_token_id", &Tokenizer::bos}, std::pair{"eos_token_id", &Tokenizer::eos}}) {
    try {
      config[key] = ((*tok).*id)();
    } catch (const std::logic_error&) {  // the tokenizer has none (Qwen's BOS)
      config[key] = nullptr;
    }
  }
  write_file_atomically(config_file, config.dump(2) + "\n");
}

}  // namespace longalign::host
