#include "checkpoint/training_checkpoint.h"

#include "util/crash_point.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace longalign::host {
namespace fs = std::filesystem;
namespace {

// The whole checkpoints under cell_dir, oldest first.
std::vector<TrainingCheckpoint> whole_checkpoints(const fs::path& cell_dir) {
  std::vector<TrainingCheckpoint> out;
  const fs::path root = cell_dir / "checkpoints";
  if (!fs::is_directory(root)) return out;
  for (auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    long long step = -1;
    int used = 0;
    if (std::sscanf(name.c_str(), "step-%lld%n", &step, &used) == 1 && used == static_cast<int>(name.size()) &&
        fs::exists(e.path() / "state.json"))
      out.push_back({step, e.path()});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.step < b.step; });
  return out;
}

}  // namespace

std::optional<TrainingCheckpoint> latest_training_checkpoint(const fs::path& cell_dir) {
  auto all = whole_checkpoints(cell_dir);
  if (all.empty()) return std::nullopt;
  return all.back();
}

uint64_t save_training_checkpoint(const fs::path& cell_dir, int64_t step, int keep,
                                  const std::function<void(const fs::path&)>& write) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(step));
  const fs::path dir = cell_dir / "checkpoints" / name, saving = dir.string() + ".saving";
  fs::remove_all(saving);
  write(saving);
  crash_point("checkpoint.write");
  fs::rename(saving, dir);

  auto all = whole_checkpoints(cell_dir);
  for (size_t i = 0; i + static_cast<size_t>(std::max(keep, 1)) < all.size(); ++i) fs::remove_all(all[i].dir);
  uint64_t bytes = 0;
  for (auto& e : fs::directory_iterator(cell_dir / "checkpoints")) {
    if (e.path().extension() == ".saving") {  // a killed attempt's, half written
      fs::remove_all(e.path());
      continue;
    }
    for (auto& f : fs::recursive_directory_iterator(e.path()))
      if (f.is_regular_file()) bytes += f.file_size();
  }
  return bytes;
}

}  // namespace longalign::host
