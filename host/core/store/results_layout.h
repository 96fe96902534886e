// Where a sweep's files go beside its results database: <db dir>/<sweep>/cells/, a folder per
// cell (<cell id>/: spec.json, cell.sqlite, stderr.log, checkpoints/, model/). A cell's folder is
// under the sweep that ran it (runs.sweep), which another sweep sharing the cell finds it by.
#pragma once
#include <filesystem>
#include <string>

namespace longalign::host {

inline std::filesystem::path sweep_cells_dir(const std::filesystem::path& db_file, const std::string& sweep) {
  return std::filesystem::absolute(db_file).parent_path() / sweep / "cells";
}

}  // namespace longalign::host
