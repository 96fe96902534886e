#include "checkpoint/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint_error.h"
#include "util/atomic_file.h"

namespace longalign::host {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw CheckpointError(path + ": " + what); }

engine::DType parse_dtype(const nlohmann::json& j, const std::string& path, const std::string& name) {
  if (!j.is_string()) fail(path, "tensor '" + name + "': dtype is not a string");
  const std::string s = j.get<std::string>();
  if (s == "F32") return engine::DType::F32;
  if (s == "F16") return engine::DType::F16;
  if (s == "BF16") return engine::DType::BF16;
  fail(path, "tensor '" + name + "': dtype " + s + " is not supported (F32, F16 or BF16)");
}

}  // namespace

const char* dtype_name(engine::DType t) {
  switch (t) {
    case engine::DType::F32: return "F32";
    case engine::DType::F16: return "F16";
    case engine::DType::BF16: return "BF16";
  }
  return "?";
}

SafetensorsHeader parse_safetensors_header(std::string_view file, uint64_t file_size, const std::string& path) {
  if (file.size() < 8 || file_size < 8) fail(path, "too short for a safetensors file (" + std::to_string(file_size) + " bytes)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(file[static_cast<size_t>(i)]);
  if (n > kMaxHeader) fail(path, "header size " + std::to_string(n) + " is over the 100 MiB limit: not a safetensors file?");
  if (n > file_size - 8 || n > file.size() - 8)
    fail(path, "truncated: the header claims " + std::to_string(n) + " bytes, the file has " + std::to_string(file_size - 8) +
                   " after the size");
  SafetensorsHeader h;
  h.data_start = 8 + n;
  const uint64_t data_size = file_size - h.data_start;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(file.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("bad JSON header: ") + e.what());
  }
  if (!j.is_object()) fail(path, "the JSON header is not an object");
  for (auto& [name, entry] : j.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, "__metadata__ is not an object");
      for (auto& [k, v] : entry.items()) {
        if (!v.is_string()) fail(path, "__metadata__ '" + k + "' is not a string");
        h.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string t = "tensor '" + name + "'";
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
      fail(path, t + ": needs dtype, shape and data_offsets");
    SafetensorsEntry e;
    e.name = name;
    e.dtype = parse_dtype(entry["dtype"], path, name);
    const auto& shape = entry["shape"];
    if (!shape.is_array()) fail(path, t + ": shape is not a list");
    uint64_t elements = 1;
    for (auto& d : shape) {
      if (!d.is_number_unsigned()) fail(path, t + ": shape " + shape.dump() + " is not a list of sizes");
      const uint64_t v = d.get<uint64_t>();
      if (v > 0 && elements > (uint64_t{1} << 62) / v) fail(path, t + ": shape " + shape.dump() + " is too large");
      elements *= v;
      e.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& off = entry["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(path, t + ": data_offsets is not [begin, end]");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      fail(path, t + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] lie outside the " +
                     std::to_string(data_size) + " data bytes (a truncated file?)");
    if (e.end - e.begin != elements * engine::dtype_size(e.dtype))
      fail(path, t + ": " + std::to_string(e.end - e.begin) + " bytes for shape " + shape.dump() + " of " +
                     dtype_name(e.dtype) + ", which needs " + std::to_string(elements * engine::dtype_size(e.dtype)));
    h.tensors.push_back(std::move(e));
  }
  std::sort(h.tensors.begin(), h.tensors.end(), [](auto& a, auto& b) { return a.begin < b.begin; });
  const SafetensorsEntry* reach = nullptr;  // the non-empty tensor ending last so far
  for (auto& e : h.tensors) {
    if (e.begin == e.end) continue;
    if (reach && e.begin < reach->end) fail(path, "tensors '" + reach->name + "' and '" + e.name + "' overlap");
    if (!reach || e.end > reach->end) reach = &e;
  }
  return h;
}

MappedFile::MappedFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path.string(), std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail(path.string(), std::strerror(err));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data_ == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      data_ = nullptr;
      fail(path.string(), std::string("cannot map: ") + std::strerror(err));
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) munmap(data_, size_);
}

void write_safetensors(const std::filesystem::path& path, const std::vector<engine::TensorData>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (auto& t : tensors) {
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  std::string file;
  file.reserve(8 + json.size() + offset);
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((json.size() >> (8 * i)) & 0xff));
  file += json;
  for (auto& t : tensors) file.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  write_file_atomically(path, file);
}

}  // namespace longalign::host
