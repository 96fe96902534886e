#include "jsonl_file.h"

#include <stdexcept>

#include "text_files.h"

namespace longalign::plugins {
namespace {

void read_into(const std::string& file, size_t limit, std::vector<JsonLine>& out) {
  LineReader reader(file, 64 << 20);
  std::string line;
  for (LineReader::Status s; (limit == 0 || out.size() < limit) && (s = reader.next(line)) != LineReader::Status::end;) {
    const std::string where = file + ":" + std::to_string(reader.line_number());
    if (s == LineReader::Status::oversized) throw std::runtime_error(where + ": line longer than 64 MiB");
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + ": not a JSON object");
    out.push_back({file, reader.line_number(), std::move(j)});
  }
  if (out.empty()) throw std::runtime_error(file + ": no lines");
}

}  // namespace

std::vector<JsonLine> read_json_lines(const std::string& file, size_t limit) {
  std::vector<JsonLine> out;
  try {
    read_into(file, limit, out);
  } catch (const std::runtime_error& e) {
    throw longalign::Error(LA_ERR_INVALID_ARGUMENT, e.what());
  }
  return out;
}

}  // namespace longalign::plugins
