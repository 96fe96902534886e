// The safetensors format (Hugging Face): an 8-byte little-endian header size, a JSON header
// mapping tensor names to {dtype, shape, data_offsets} (plus optional "__metadata__" strings),
// then the tensors' bytes. Reading validates everything the header claims against the file
// before any byte is used; writing is atomic (a temporary file, then rename).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine.h"

namespace longalign::host {

struct SafetensorsEntry {
  std::string name;
  engine::DType dtype = engine::DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // within the data section
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;  // in the file's data order
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // the data section's offset in the file
};

// `file` holds the file's bytes (at least the header; `file_size` is the whole file's size).
// Throws CheckpointError naming `path` and, where one is at fault, the tensor.
SafetensorsHeader parse_safetensors_header(std::string_view file, uint64_t file_size, const std::string& path);

// A read-only mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);  // throws CheckpointError
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

void write_safetensors(const std::filesystem::path& path, const std::vector<engine::TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

const char* dtype_name(engine::DType t);  // "F32", "F16", "BF16"

}  // namespace longalign::host
