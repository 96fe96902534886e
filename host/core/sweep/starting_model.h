// model.init_from as a sweep writes it, found and pinned: a model directory, a training
// checkpoint's directory, RESULTS_DB#CELL, or RESULTS_DB alone when it holds one done cell (a
// base model's sweep). The directory's config.json and every tensor it implies are checked, and
// its files hashed, so a cell's id changes when the weights it starts from do.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

namespace longalign::host {

struct StartingModel {
  std::filesystem::path dir;  // canonical
  std::string sha256;         // of its files' names and hashes
  int64_t vocab_size = 0;
  int64_t sliding_window = 0;  // Mistral's, where its config.json sets one: no row may be longer
};

// The vocabulary a cell's tokenizer needs of its starting model.
struct VocabularyNeed {
  int64_t size = 0;
  std::string by;  // who needs it, for the error: "the byte tokenizer's 259 ids"
};

// Why a model.init_from cannot be used (resolve_sweep reports it at that key).
struct StartingModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StartingModels {
 public:
  // Relative names are from sweep_dir, the sweep file's directory.
  explicit StartingModels(std::filesystem::path sweep_dir) : sweep_dir_(std::move(sweep_dir)) {}
  // Every cell of a sweep usually names the same model: each results file and directory is read
  // once. A model whose vocabulary is smaller than `need` is refused before its files are
  // hashed. Throws StartingModelError.
  const StartingModel& find(const std::string& given, const VocabularyNeed& need);

 private:
  std::filesystem::path directory(const std::string& given);
  static StartingModel load(const std::filesystem::path& dir, const VocabularyNeed& need);

  std::filesystem::path sweep_dir_;
  std::map<std::string, std::filesystem::path> dirs_;  // as given -> its directory
  std::map<std::string, StartingModel> models_;        // by canonical directory
};

}  // namespace longalign::host
