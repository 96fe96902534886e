#include "plugin/scanner.h"

#include <longalign/plugin.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "plugin/library.h"
#include "util/cache_dir.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return {};
  auto begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace

nlohmann::json scan_in_process(const std::filesystem::path& file) {
  try {
    auto lib = PluginLibrary::load(file);
    return {{"ok", true}, {"plugin", to_json(lib->info())}};
  } catch (const LoadError& e) {
    return {{"ok", false}, {"error", e.reason()}};
  } catch (const std::exception& e) {
    return {{"ok", false}, {"error", e.what()}};
  }
}

ProbeCache::ProbeCache(std::optional<std::filesystem::path> file) : file_(std::move(file)) {
  if (!file_) return;
  std::ifstream in(*file_);
  if (!in) return;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("api_version", 0u) == LA_API_VERSION && j.contains("entries") && j["entries"].is_object())
      entries_ = j["entries"];
  } catch (const nlohmann::json::exception&) {
    // A corrupt cache is only a cache: probe again and rewrite it.
  }
}

std::optional<nlohmann::json> ProbeCache::get(const std::string& hash) const {
  if (auto it = entries_.find(hash); it != entries_.end()) return *it;
  return std::nullopt;
}

void ProbeCache::put(const std::string& hash, nlohmann::json result) {
  entries_[hash] = std::move(result);
  dirty_ = true;
}

void ProbeCache::save() {
  if (!file_ || !dirty_) return;
  std::error_code ec;
  std::filesystem::create_directories(file_->parent_path(), ec);
  auto tmp = *file_;
  tmp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp);
    if (!out) return;
    out << nlohmann::json{{"api_version", LA_API_VERSION}, {"entries", entries_}}.dump(1) << '\n';
    if (!out) return;
  }
  std::filesystem::rename(tmp, *file_, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  dirty_ = false;
}

std::optional<std::filesystem::path> ProbeCache::default_file() {
  if (auto dir = cache_dir()) return *dir / "plugins.json";
  return std::nullopt;
}

ProbeResult probe_plugin(const std::filesystem::path& file, const ProbeOptions& options, ProbeCache& cache) {
  ProbeResult r;
  try {
    r.hash = sha256_file(file);
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }
  std::optional<nlohmann::json> answer = cache.get(r.hash);
  r.cached = answer.has_value();
  if (!answer) {
    ProcessResult p = run_process({options.scanner.string(), file.string()}, options.timeout);
    bool cacheable = true;
    if (p.ok()) {
      try {
        answer = nlohmann::json::parse(p.out);
      } catch (const nlohmann::json::exception&) {
        answer = nlohmann::json{{"ok", false}, {"error", "printed something other than the scanner's answer while probed"}};
      }
    } else {
      std::string why = p.timed_out ? "hung while probed: no answer in " + std::to_string(options.timeout.count() / 1000.0).substr(0, 4) + " s"
                                    : "crashed while probed (" + p.describe() + ")";
      if (auto line = last_line(p.err); !line.empty()) why += ": " + line;
      answer = nlohmann::json{{"ok", false}, {"error", why}};
      cacheable = !p.timed_out;  // a hang may be load on the machine; probe it again next time
    }
    if (cacheable) cache.put(r.hash, *answer);
  }
  if (answer->value("ok", false)) {
    try {
      r.info = plugin_info_from_json(answer->at("plugin"));
    } catch (const std::exception& e) {
      r.error = std::string("unreadable scanner answer: ") + e.what();
    }
  } else {
    r.error = answer->value("error", "unknown error");
  }
  return r;
}

}  // namespace longalign::host
