#define BOOST_DLL_USE_STD_FS
#include "plugin/library.h"

#include <boost/dll/shared_library.hpp>

#include "plugin/elf_check.h"

namespace longalign::host {

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw LoadError(path, "no such file");
  if (auto why = check_elf_file(path); !why.empty()) throw LoadError(path, why);

  std::shared_ptr<PluginLibrary> p(new PluginLibrary());
  p->path_ = path;
  try {
    p->lib_ = std::make_unique<boost::dll::shared_library>(
        path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    // dlerror repeats the path; the reason stays path-free so cached results fit any copy.
    std::string why = e.what();
    for (auto at = why.find(path.string() + ": "); at != std::string::npos; at = why.find(path.string() + ": "))
      why.erase(at, path.string().size() + 2);
    throw LoadError(path, "cannot be loaded: " + why);
  }
  if (!p->lib_->has(LA_ENTRY_POINT_NAME))
    throw LoadError(path, "is a shared library but not a longalign plugin (it exports no " LA_ENTRY_POINT_NAME ")");
  auto entry = p->lib_->get<std::remove_pointer_t<la_entry_point_fn>>(LA_ENTRY_POINT_NAME);
  la_error error{};
  error.struct_size = sizeof error;
  const la_plugin_descriptor* d = nullptr;
  int32_t status = entry(LA_API_VERSION, &d, &error);
  if (status != LA_OK) {
    error.message[LA_ERROR_MESSAGE_CAPACITY - 1] = '\0';
    throw LoadError(path, "failed to register (status " + std::to_string(status) + "): " + error.message);
  }
  auto checked = check_descriptor(d);
  if (auto* why = std::get_if<std::string>(&checked)) throw LoadError(path, *why);
  p->descriptor_ = d;
  p->info_ = std::get<PluginInfo>(std::move(checked));
  return p;
}

PluginLibrary::~PluginLibrary() = default;

}  // namespace longalign::host
