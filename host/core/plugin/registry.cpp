#include "plugin/registry.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "util/build_info.h"

namespace longalign::host {

const PluginEntry* Registry::find(const std::string& name) const {
  for (auto& p : plugins)
    if (p.info.name == name) return &p;
  return nullptr;
}

std::vector<std::string> Registry::names(std::optional<la_plugin_kind> kind) const {
  std::vector<std::string> out;
  for (auto& p : plugins)
    if (!kind || p.info.kind == *kind) out.push_back(p.info.name);
  return out;
}

std::filesystem::path host_plugin_dir() { return executable_dir().parent_path() / "lib" / "longalign" / "plugins"; }

std::filesystem::path host_scanner() { return sibling_binary("longalign-scanner"); }

void require_plugin_dir(const std::filesystem::path& dir, const Location& where, const std::string& key) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  throw InputError(where, key, "plugin dir " + dir.string() + (std::filesystem::exists(dir, ec) ? " is not a directory" : " does not exist"));
}

std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::filesystem::path>& extra) {
  std::vector<std::filesystem::path> dirs = extra;
  if (const char* env = std::getenv("LONGALIGN_PLUGIN_PATH")) {
    std::string s = env;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) dirs.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  dirs.push_back(host_plugin_dir());
  // The same dir named twice is searched once.
  std::vector<std::filesystem::path> unique;
  std::set<std::filesystem::path> seen;
  for (auto& d : dirs) {
    std::error_code ec;
    auto canon = std::filesystem::weakly_canonical(d, ec);
    if (seen.insert(ec ? d : canon).second) unique.push_back(d);
  }
  return unique;
}

Registry scan_plugins(const std::vector<std::filesystem::path>& dirs, const ProbeOptions& options, ProbeCache& cache) {
  Registry reg;
  for (auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::filesystem::path> files;
    for (auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".so" && !e.is_directory()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      ProbeResult r = probe_plugin(f, options, cache);
      if (!r.info) {
        reg.rejected.push_back({f, r.error});
        continue;
      }
      if (const PluginEntry* first = reg.find(r.info->name)) {
        reg.rejected.push_back({f, "duplicate plugin name '" + r.info->name + "': already provided by " + first->file.string()});
        continue;
      }
      reg.plugins.push_back({f, r.hash, std::move(*r.info)});
    }
  }
  cache.save();
  return reg;
}

}  // namespace longalign::host
