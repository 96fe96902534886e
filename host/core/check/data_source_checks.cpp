// Conformance of data sources: well-formed examples, the same stream for the same seed, and a
// count() that agrees with the stream.
#include "check/conformance.h"
#include "plugin/instance.h"
#include <longalign/utf8.hpp>

namespace longalign::host::checks {
namespace {

constexpr size_t kLimit = 2000;  // examples read per stream

std::string serialize(const Example& e) {
  nlohmann::json j = {{"text", e.text}, {"source", e.source}, {"task", e.task}, {"meta", e.metadata_json}};
  for (auto& m : e.messages) j["m"].push_back({m.role, m.content});
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> read_stream(DataSourceInstance& src, uint64_t seed, bool* ended) {
  src.open(seed);
  std::vector<std::string> out;
  Example e;
  *ended = false;
  while (out.size() < kLimit) {
    if (!src.next(e)) {
      *ended = true;
      break;
    }
    out.push_back(serialize(e));
  }
  return out;
}

std::string why_malformed(const Example& e) {
  for (auto* s : {&e.text, &e.source, &e.task, &e.metadata_json})
    if (!valid_utf8(*s)) return "a field is not valid UTF-8";
  if (!e.metadata_json.empty()) {
    auto j = nlohmann::json::parse(e.metadata_json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "metadata_json is not a JSON object";
  }
  if (e.messages.empty()) return e.text.empty() ? "neither messages nor text" : "";
  bool answered = false;
  for (auto& m : e.messages) {
    if (m.role != "system" && m.role != "user" && m.role != "assistant") return "unknown role '" + m.role + "'";
    if (!valid_utf8(m.content)) return "a message is not valid UTF-8";
    answered |= m.role == "assistant" && !m.content.empty();
  }
  return answered ? "" : "a chat with no non-empty assistant message (nothing to train on)";
}

}  // namespace

void data_source(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report) {
  run_check(report, "examples well-formed", [&] {
    DataSourceInstance src(lib, params);
    src.open(1);
    Example e;
    size_t n = 0;
    while (n < kLimit && src.next(e)) {
      if (auto why = why_malformed(e); !why.empty())
        throw std::runtime_error("example " + std::to_string(n) + ": " + why);
      ++n;
    }
    if (n == 0) throw std::runtime_error("the stream is empty with default parameters");
    return std::to_string(n) + " examples read, each well-formed";
  });
  run_check(report, "deterministic for a seed", [&] {
    DataSourceInstance a(lib, params), b(lib, params);
    bool ea, eb;
    auto sa = read_stream(a, 7, &ea), sb = read_stream(b, 7, &eb);
    if (sa != sb) throw std::runtime_error("two instances opened with seed 7 gave different examples");
    auto again = read_stream(a, 7, &ea);
    if (again != sa) throw std::runtime_error("reopening with seed 7 gave a different stream");
    return "two instances and a reopen with seed 7 gave the same " + std::to_string(sa.size()) + " examples";
  });
  run_check(report, "count agrees with the stream", [&] {
    DataSourceInstance src(lib, params);
    src.open(3);
    auto count = src.count();
    if (!count) return std::string("count unknown before reading (allowed)");
    bool ended;
    auto s = read_stream(src, 3, &ended);
    if (!ended) return "count " + std::to_string(*count) + "; stream longer than the " + std::to_string(kLimit) + " examples read";
    if (static_cast<size_t>(*count) != s.size())
      throw std::runtime_error("count() says " + std::to_string(*count) + ", the stream holds " + std::to_string(s.size()));
    return "count " + std::to_string(*count) + " matches the stream";
  });
}

}  // namespace longalign::host::checks
