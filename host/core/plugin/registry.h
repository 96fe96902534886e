// Finding plugins: the search path, probing every candidate file, and settling duplicates.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "plugin/descriptor.h"
#include "plugin/scanner.h"
#include "util/input_error.h"

namespace longalign::host {

struct PluginEntry {
  std::filesystem::path file;
  std::string hash;
  PluginInfo info;
};

struct RejectedFile {
  std::filesystem::path file;
  std::string reason;
};

struct Registry {
  std::vector<PluginEntry> plugins;  // in search order
  std::vector<RejectedFile> rejected;

  const PluginEntry* find(const std::string& name) const;
  std::vector<std::string> names(std::optional<la_plugin_kind> kind = std::nullopt) const;
};

// Where plugins are looked for, first to last: `extra` (command line, then sweep), each entry of
// LONGALIGN_PLUGIN_PATH (colon-separated), then the host's own plugin dir. A name found twice
// keeps its first file; the later one is rejected as a duplicate.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::filesystem::path>& extra);

// A dir a user named for plugins (--plugin-dir, a sweep's plugin_dirs) must be one: a missing
// dir is an InputError at `where` naming it, not an "unknown plugin" later.
void require_plugin_dir(const std::filesystem::path& dir, const Location& where, const std::string& key);

// The host's own plugin dir and scanner, located from the running executable (the build tree
// mirrors the install tree: bin/ and lib/longalign/plugins/).
std::filesystem::path host_plugin_dir();
std::filesystem::path host_scanner();

// Probes every *.so file of the dirs (sorted by name within a dir; missing dirs are skipped).
Registry scan_plugins(const std::vector<std::filesystem::path>& dirs, const ProbeOptions& options, ProbeCache& cache);

}  // namespace longalign::host
