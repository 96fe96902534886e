// Probing plugin files in a subprocess (the longalign-scanner helper, like GStreamer's
// gst-plugin-scanner), so a library that crashes, hangs or aborts while loading never takes
// the host down. Results are cached by the file's SHA-256: an unchanged file is not probed again.
#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/descriptor.h"

namespace longalign::host {

struct ProbeResult {
  std::string hash;                // SHA-256 of the file
  std::optional<PluginInfo> info;  // set when the file is a usable plugin
  std::string error;               // why not, otherwise
  bool cached = false;
};

// The scanner's answer for one file, as JSON: {"ok":true,"plugin":{...}} or {"ok":false,"error":"..."}.
nlohmann::json scan_in_process(const std::filesystem::path& file);

// Cache of probe results, one JSON file, written atomically (write, then rename).
class ProbeCache {
 public:
  explicit ProbeCache(std::optional<std::filesystem::path> file);  // nullopt: no caching
  std::optional<nlohmann::json> get(const std::string& hash) const;
  void put(const std::string& hash, nlohmann::json result);
  void save();  // best effort: a cache that cannot be written only costs a re-probe

  static std::optional<std::filesystem::path> default_file();

 private:
  std::optional<std::filesystem::path> file_;
  nlohmann::json entries_ = nlohmann::json::object();
  bool dirty_ = false;
};

struct ProbeOptions {
  std::filesystem::path scanner;  // the longalign-scanner executable
  std::chrono::milliseconds timeout{10000};
};

ProbeResult probe_plugin(const std::filesystem::path& file, const ProbeOptions& options, ProbeCache& cache);

}  // namespace longalign::host
