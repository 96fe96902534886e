// A plugin library loaded into this process with Boost.DLL. The library stays loaded while any
// instance made from it lives (instances hold a shared_ptr to it), as ggml's registry does.
#pragma once
#include <longalign/plugin.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "plugin/descriptor.h"

namespace boost::dll {
class shared_library;
}

namespace longalign::host {

// A library that cannot be used as a plugin. what() is "FILE: reason"; reason() leaves out the
// file, so a cached probe result stays true for a copy of the same bytes elsewhere.
class LoadError : public std::runtime_error {
 public:
  LoadError(const std::filesystem::path& file, const std::string& reason)
      : std::runtime_error(file.string() + ": " + reason), reason_(reason) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

class PluginLibrary {
 public:
  // Loads, registers and checks the plugin in `path`. Throws LoadError.
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& path);
  ~PluginLibrary();

  const std::filesystem::path& path() const { return path_; }
  const PluginInfo& info() const { return info_; }
  const la_plugin_descriptor& descriptor() const { return *descriptor_; }
  template <typename VTable>
  const VTable& vtable() const { return *static_cast<const VTable*>(descriptor_->vtable); }

 private:
  PluginLibrary() = default;
  std::filesystem::path path_;
  std::unique_ptr<boost::dll::shared_library> lib_;
  const la_plugin_descriptor* descriptor_ = nullptr;
  PluginInfo info_;
};

}  // namespace longalign::host
