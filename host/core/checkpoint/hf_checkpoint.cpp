#include "checkpoint/hf_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_config.h"
#include "util/atomic_file.h"
#include "util/read_file.h"
#include "util/crash_point.h"

namespace longalign::host {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSingle = "model.safetensors";
constexpr const char* kIndex = "model.safetensors.index.json";

std::string read_text(const fs::path& p) {
  try {
    return read_file(p);
  } catch (const std::runtime_error& e) {
    throw CheckpointError(e.what());
  }
}

// Buffers some exporters save beside the weights; the engine computes them.
bool is_derived_buffer(const std::string& name) {
  const std::string suffix = "rotary_emb.inv_freq";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// name -> shard file, from the index.
std::map<std::string, std::string> read_index(const fs::path& index) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(index));
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(index.string() + ": bad JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw CheckpointError(index.string() + ": no weight_map object");
  std::map<std::string, std::string> map;
  for (auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string()) throw CheckpointError(index.string() + ": tensor '" + name + "': the shard is not a file name");
    const std::string f = file.get<std::string>();
    if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
      throw CheckpointError(index.string() + ": tensor '" + name + "': shard '" + f + "' is not a file in the directory");
    map[name] = f;
  }
  return map;
}

}  // namespace

HfCheckpoint load_hf_checkpoint(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw CheckpointError(dir.string() + ": not a directory");
  HfCheckpoint ck;
  const fs::path config = dir / "config.json";
  if (!fs::exists(config)) throw CheckpointError(dir.string() + ": no config.json (a Hugging Face model directory has one)");
  ck.config = parse_hf_config(read_text(config), config.string());

  std::vector<std::string> shards;
  std::map<std::string, std::string> index;
  if (fs::exists(dir / kIndex)) {
    index = read_index(dir / kIndex);
    for (auto& [_, f] : index)
      if (std::find(shards.begin(), shards.end(), f) == shards.end()) shards.push_back(f);
  } else if (fs::exists(dir / kSingle)) {
    shards.push_back(kSingle);
  } else {
    std::string hint = fs::exists(dir / "pytorch_model.bin") ? " (pytorch_model.bin is not read: convert it to safetensors)" : "";
    throw CheckpointError(dir.string() + ": no " + kSingle + " or " + kIndex + hint);
  }

  // name -> (file, entry)
  std::map<std::string, std::pair<size_t, SafetensorsEntry>> found;
  for (auto& shard : shards) {
    const fs::path p = dir / shard;
    auto file = std::make_unique<MappedFile>(p);
    SafetensorsHeader h = parse_safetensors_header(file->bytes(), file->bytes().size(), p.string());
    for (auto& e : h.tensors) {
      if (!index.empty()) {
        auto it = index.find(e.name);
        if (it == index.end() || it->second != shard) continue;  // the index says where each tensor lives
      }
      e.begin += h.data_start;
      e.end += h.data_start;
      found[e.name] = {ck.files.size(), e};
    }
    ck.files.push_back(std::move(file));
  }
  for (auto& [name, file] : index)
    if (!found.count(name))
      throw CheckpointError((dir / file).string() + ": tensor '" + name + "' is in the index but not in the file");

  const auto layout = engine::tensor_layout(ck.config);
  for (auto& want : layout) {
    auto it = found.find(want.name);
    if (it == found.end())
      throw CheckpointError(dir.string() + ": tensor '" + want.name + "' is missing (config.json implies it)");
    const auto& [file, e] = it->second;
    if (e.shape != want.shape) {
      auto str = [](const std::vector<int64_t>& s) { return nlohmann::json(s).dump(); };
      throw CheckpointError((dir / shards[file]).string() + ": tensor '" + want.name + "' has shape " + str(e.shape) +
                            ", config.json implies " + str(want.shape));
    }
    ck.tensors.push_back({want.name, e.dtype, e.shape, ck.files[file]->bytes().data() + e.begin});
    found.erase(it);
  }
  for (auto& [name, where] : found) {
    if (is_derived_buffer(name) || (name == "lm_head.weight" && ck.config.tie_embeddings)) continue;
    throw CheckpointError((dir / shards[where.first]).string() + ": tensor '" + name +
                          "' is not part of the model config.json describes");
  }
  return ck;
}

void save_hf_checkpoint(const fs::path& dir, const engine::ModelConfig& config, const std::vector<engine::TensorData>& tensors,
                        uint64_t shard_bytes) {
  const fs::path tmp = dir.string() + ".saving", old = dir.string() + ".old";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const engine::DType dtype = tensors.empty() ? engine::DType::F32 : tensors.front().dtype;
  write_file_atomically(tmp / "config.json", hf_config_json(config, dtype));

  std::vector<std::vector<engine::TensorData>> shards(1);
  uint64_t in_shard = 0, total = 0;
  for (auto& t : tensors) {
    if (shard_bytes > 0 && in_shard > 0 && in_shard + t.bytes.size() > shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(t);
    in_shard += t.bytes.size();
    total += t.bytes.size();
  }
  if (shard_bytes == 0) {
    write_safetensors(tmp / kSingle, shards[0], {{"format", "pt"}});
  } else {
    nlohmann::json map = nlohmann::json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
      write_safetensors(tmp / name, shards[i], {{"format", "pt"}});
      for (auto& t : shards[i]) map[t.name] = name;
    }
    nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", map}};
    write_file_atomically(tmp / kIndex, index.dump(2) + "\n");
  }
  crash_point("model.save");
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir);
  fs::remove_all(old);
}

}  // namespace longalign::host
