// A small JSONL file read whole (evaluation sets), every line a JSON object; throws
// longalign::Error (bad input) naming the file and line of the first bad one.
#pragma once
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace longalign::plugins {

struct JsonLine {
  std::string file;
  size_t line = 0;
  nlohmann::json value;
  std::string where() const { return file + ":" + std::to_string(line); }
};

// The first `limit` lines (0: all).
std::vector<JsonLine> read_json_lines(const std::string& file, size_t limit = 0);

}  // namespace longalign::plugins
