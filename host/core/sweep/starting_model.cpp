#include "sweep/starting_model.h"

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_checkpoint.h"
#include "store/results_layout.h"
#include "store/store.h"
#include "util/sha256.h"

namespace longalign::host {

std::filesystem::path StartingModels::directory(const std::string& given) {
  if (auto known = dirs_.find(given); known != dirs_.end()) return known->second;
  const auto hash = given.find('#');
  const bool whole_db = hash == std::string::npos && std::filesystem::path(given).extension() == ".sqlite";
  std::filesystem::path dir;
  if (hash != std::string::npos || whole_db) {
    const std::filesystem::path db_file = sweep_dir_ / given.substr(0, hash);
    const std::string cell = whole_db ? "" : given.substr(hash + 1);
    if (!std::filesystem::exists(db_file))
      throw StartingModelError("no results file " + db_file.string() + " (run the sweep that writes it first)");
    if (!whole_db && cell.size() < 8) throw StartingModelError("give at least 8 characters of the cell id after '#'");
    Store store(db_file.string(), OpenMode::kExisting);
    const std::vector<RunRecord> done = store.done_runs_with_prefix(cell);
    if (done.empty())
      throw StartingModelError((whole_db ? "no done cell" : "no done cell " + cell) + " in " + db_file.string() +
                               (whole_db ? " (run its sweep first)" : ""));
    const std::string id = done[0].cell_id, sweep = done[0].sweep;
    if (done.size() > 1)
      throw StartingModelError(whole_db ? db_file.string() + " holds several done cells: name one, as " + given + "#" + id.substr(0, 8)
                                        : "cell id " + cell + " matches several cells in " + db_file.string());
    dir = sweep_cells_dir(db_file, sweep) / id / "model";
  } else {
    dir = sweep_dir_ / given;
    // A training checkpoint (checkpoints/step-N) holds its model in model/.
    if (!std::filesystem::exists(dir / "config.json") && std::filesystem::exists(dir / "model" / "config.json")) dir /= "model";
    if (!std::filesystem::exists(dir))
      throw StartingModelError((sweep_dir_ / given).lexically_normal().string() +
                               ": not a directory (a Hugging Face model directory: download one, or make one with "
                               "`longalign model init --config CONFIG.json --tokenizer DIR --out DIR`)");
  }
  return dirs_[given] = std::filesystem::weakly_canonical(dir);
}

namespace {

void check_vocabulary(const std::filesystem::path& dir, int64_t vocab_size, const VocabularyNeed& need) {
  if (vocab_size < need.size)
    throw StartingModelError(dir.string() + " has a vocabulary of " + std::to_string(vocab_size) + ", too small for " + need.by);
}

}  // namespace

const StartingModel& StartingModels::find(const std::string& given, const VocabularyNeed& need) {
  const std::filesystem::path dir = directory(given);
  auto it = models_.find(dir.string());
  if (it == models_.end()) it = models_.emplace(dir.string(), load(dir, need)).first;
  check_vocabulary(dir, it->second.vocab_size, need);
  return it->second;
}

StartingModel StartingModels::load(const std::filesystem::path& dir, const VocabularyNeed& need) {
  StartingModel m;
  m.dir = dir;
  std::string combined;
  try {
    const engine::ModelConfig config = load_hf_checkpoint(dir).config;
    m.vocab_size = config.vocab_size;
    m.sliding_window = config.sliding_window;
    check_vocabulary(dir, m.vocab_size, need);  // before hashing what may be gigabytes
    for (auto& f : std::filesystem::directory_iterator(dir))
      if (f.is_regular_file()) combined += f.path().filename().string() + " " + sha256_file(f.path()) + "\n";
  } catch (const CheckpointError& e) {
    throw StartingModelError(e.what());
  }
  m.sha256 = sha256_hex(combined);
  return m;
}

}  // namespace longalign::host
