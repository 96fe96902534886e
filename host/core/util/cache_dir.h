// Where longalign keeps what it can rebuild (plugin probes, tokenized data):
// $LONGALIGN_CACHE_DIR, else $XDG_CACHE_HOME/longalign, else ~/.cache/longalign.
#pragma once
#include <filesystem>
#include <optional>

namespace longalign::host {

std::optional<std::filesystem::path> cache_dir();

}  // namespace longalign::host
