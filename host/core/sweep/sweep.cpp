#include "sweep/sweep.h"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "util/file_kind.h"
#include "util/nearest.h"

namespace longalign::host {
namespace {

const std::vector<std::string> kTopLevel = {"name", "description", "seeds", "plugin_dirs", "timeout_s", "config",
                                            "grid", "exclude", "include", "data", "evaluate"};

struct Reader {
  std::string file;
  std::map<std::string, Location> where;  // document path -> location

  Location at(const toml::source_region& r) const { return {file, r.begin.line, r.begin.column}; }

  // TOML node -> JSON, recording each key's location under its dotted document path.
  nlohmann::json convert(const toml::node& n, const std::string& path) {
    where[path] = at(n.source());
    switch (n.type()) {
      case toml::node_type::table: {
        nlohmann::json j = nlohmann::json::object();
        for (auto&& [k, v] : *n.as_table()) {
          std::string key(k.str());
          std::string child = path.empty() ? key : path + "." + key;
          where[child] = at(k.source());
          j[key] = convert(v, child);
          where[child] = at(k.source());  // the key's own position, not its value's
        }
        return j;
      }
      case toml::node_type::array: {
        nlohmann::json j = nlohmann::json::array();
        size_t i = 0;
        for (auto&& v : *n.as_array()) j.push_back(convert(v, path + "." + std::to_string(i++)));
        return j;
      }
      case toml::node_type::string: return n.as_string()->get();
      case toml::node_type::integer: return n.as_integer()->get();
      case toml::node_type::floating_point: return n.as_floating_point()->get();
      case toml::node_type::boolean: return n.as_boolean()->get();
      default:
        throw InputError(at(n.source()), path, "dates and times are not supported in sweeps");
    }
  }
};

std::string type_of(const nlohmann::json& v) {
  if (v.is_object()) return "a table";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a bool";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a float";
  return "nothing";
}

// Sets doc[a][b][c] = value for "a.b.c", creating tables on the way.
void assign_path(nlohmann::json& doc, const std::string& path, nlohmann::json value, const Location& at) {
  nlohmann::json* node = &doc;
  std::stringstream ss(path);
  std::string part, walked;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) throw InputError(at, path, "empty key segment");
    if (!node->is_object()) throw InputError(at, path, "'" + walked + "' is not a table");
    walked += (walked.empty() ? "" : ".") + parts[i];
    if (i + 1 == parts.size()) {
      (*node)[parts[i]] = std::move(value);
    } else {
      node = &(*node)[parts[i]];
      if (node->is_null()) *node = nlohmann::json::object();
    }
  }
}

// Flattens nested tables to dotted paths; arrays, scalars and the tables at `whole` paths (a
// grid key whose values are tables) are leaves.
void flatten(const nlohmann::json& j, const std::string& prefix, std::vector<std::pair<std::string, nlohmann::json>>& out,
             const std::set<std::string>& whole = {}) {
  if (j.is_object() && !j.empty() && !whole.count(prefix)) {
    for (auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out, whole);
  } else {
    out.emplace_back(prefix, j);
  }
}

}  // namespace

Location Sweep::locate(const std::string& key) const {
  std::string k = key;
  while (true) {
    if (auto it = where.find(k); it != where.end()) return it->second;
    auto dot = k.rfind('.');
    if (dot == std::string::npos) return {file, 0, 0};
    k.resize(dot);
  }
}

namespace {

// A sweep file read into JSON with --set applied, knowing where each key was written; each
// part of the sweep is read from it by one method, which throws InputError at the key's place.
class SweepDocument {
 public:
  SweepDocument(const std::string& text, const std::string& file, const std::vector<std::string>& sets) : r_{file, {}} {
    try {
      toml::table t = toml::parse(std::string_view(text), std::string_view(file));
      doc_ = r_.convert(t, "");
    } catch (const toml::parse_error& e) {
      const auto& b = e.source().begin;
      throw InputError({file, b.line, b.column}, "", std::string(e.description()));
    }
    for (auto& s : sets) apply_set(s);
    for (auto& [key, value] : doc_.items())
      if (std::find(kTopLevel.begin(), kTopLevel.end(), key) == kTopLevel.end())
        throw InputError(loc(key), key, "unknown key" + did_you_mean(key, kTopLevel));
  }

  // name, description, seeds, plugin_dirs, timeout_s and [config].
  void read_header(Sweep& sw) const {
    if (!doc_.contains("name")) throw InputError({r_.file, 0, 0}, "name", "missing: every sweep needs a name");
    expect("name", doc_["name"].is_string(), "a string");
    sw.name = doc_["name"];
    if (sw.name.empty() || sw.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos || sw.name[0] == '.')
      throw InputError(loc("name"), "name", "use letters, digits, '.', '_' and '-' only (it names the results file)");
    if (doc_.contains("description")) {
      expect("description", doc_["description"].is_string(), "a string");
      sw.description = doc_["description"];
    }
    if (doc_.contains("seeds")) read_seeds(sw);
    if (doc_.contains("plugin_dirs")) {
      expect("plugin_dirs", doc_["plugin_dirs"].is_array(), "an array of strings");
      const std::filesystem::path base_dir = std::filesystem::absolute(r_.file).parent_path();
      for (auto& d : doc_["plugin_dirs"]) {
        if (!d.is_string()) throw InputError(loc("plugin_dirs"), "plugin_dirs", "each entry must be a string");
        const std::string at = "plugin_dirs." + std::to_string(sw.plugin_dirs.size());
        sw.where[at] = loc(at);
        sw.plugin_dirs.push_back((base_dir / d.get<std::string>()).lexically_normal().string());
      }
    }
    if (doc_.contains("timeout_s")) {
      expect("timeout_s", doc_["timeout_s"].is_number(), "a number of seconds");
      if (doc_["timeout_s"].get<double>() < 0)
        throw InputError(loc("timeout_s"), "timeout_s", "must be positive (seconds a cell may run), or 0 for no limit; got " +
                                                            doc_["timeout_s"].dump());
      sw.timeout_s = doc_["timeout_s"];
    }
    if (doc_.contains("config")) {
      expect("config", doc_["config"].is_object(), "a table");
      sw.base = doc_["config"];
    }
    for (auto& [path, l] : r_.where)
      if (path.rfind("config.", 0) == 0) sw.where[path.substr(7)] = l;
  }

  // [[data]] or [[evaluate]]: an array of tables, keyed by name in the config.
  void read_entries(Sweep& sw, const char* section, const char* plugin_key) const {
    if (!doc_.contains(section)) return;
    expect(section, doc_[section].is_array(), "an array of tables ([[" + std::string(section) + "]])");
    size_t i = 0;
    for (auto& e : doc_[section]) {
      std::string at = std::string(section) + "." + std::to_string(i++);
      if (!e.is_object()) throw InputError(loc(at), section, "each entry must be a table");
      if (!e.contains(plugin_key) || !e[plugin_key].is_string())
        throw InputError(loc(at), at, std::string("missing '") + plugin_key + "' (the plugin's name)");
      std::string name = e.value("name", e[plugin_key].get<std::string>());
      if (sw.base.contains(section) && sw.base[section].contains(name))
        throw InputError(loc(at), at, "two entries are named '" + name + "': give each a distinct 'name'");
      nlohmann::json body = e;
      body.erase("name");
      sw.base[section][name] = body;
      for (auto& [path, l] : r_.where)
        if (path.rfind(at + ".", 0) == 0) sw.where[std::string(section) + "." + name + path.substr(at.size())] = l;
      sw.where[std::string(section) + "." + name] = loc(at);
    }
  }

  void read_grid(Sweep& sw) const {
    if (!doc_.contains("grid")) return;
    expect("grid", doc_["grid"].is_object(), "a table");
    std::vector<std::pair<std::string, nlohmann::json>> flat;
    flatten(doc_["grid"], "", flat);
    for (auto& [path, values] : flat) {
      std::string key = "grid." + path;
      if (!values.is_array()) throw InputError(loc(key), path, "grid values must be an array, e.g. [1, 2]");
      if (values.empty()) throw InputError(loc(key), path, "empty grid list: it would make no cells");
      for (size_t i = 0; i < values.size(); ++i) {
        sw.where["grid." + path + "." + std::to_string(i)] = loc(key + "." + std::to_string(i));
        for (size_t j = 0; j < i; ++j)
          if (values[j] == values[i])  // two equal cells would be one: say so instead of collapsing them
            throw InputError(loc(key + "." + std::to_string(i)), path,
                             "value " + values[i].dump() + " is listed twice (entries " + std::to_string(j + 1) + " and " +
                                 std::to_string(i + 1) + ")");
      }
      sw.where["grid." + path] = loc(key);
      sw.grid.emplace_back(path, values.get<std::vector<nlohmann::json>>());
    }
  }

  // [[exclude]] and [[include]]: cells taken out of the grid or added to it.
  void read_excludes_and_includes(Sweep& sw) const {
    std::set<std::string> grid_keys;  // an exclude or include gives these whole, tables too
    for (auto& [path, values] : sw.grid) grid_keys.insert(path);
    for (const char* section : {"exclude", "include"}) {
      if (!doc_.contains(section)) continue;
      expect(section, doc_[section].is_array(), "an array of tables");
      auto& into = std::string(section) == "exclude" ? sw.excludes : sw.includes;
      size_t i = 0;
      for (auto& e : doc_[section]) {
        std::string at = std::string(section) + "." + std::to_string(i++);
        if (!e.is_object() || e.empty()) throw InputError(loc(at), section, "each entry must be a non-empty table");
        std::vector<std::pair<std::string, nlohmann::json>> flat;
        flatten(e, "", flat, grid_keys);
        std::map<std::string, nlohmann::json> m;
        for (auto& [path, v] : flat) {
          m[path] = v;
          sw.where[at + "." + path] = loc(at + "." + path);
        }
        into.push_back(std::move(m));
      }
    }
  }

 private:
  // --set KEY=VALUE: VALUE is TOML, or a bare word taken as a string.
  void apply_set(const std::string& s) {
    Location at{"--set " + s, 0, 0};
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(at, "", "expected KEY=VALUE, e.g. --set config.train.epochs=2");
    std::string key = s.substr(0, eq), value = s.substr(eq + 1);
    nlohmann::json v;
    try {
      const std::string doc = "v = " + value;
      toml::table t = toml::parse(std::string_view(doc), std::string_view("--set"));
      Reader vr{"--set", {}};
      v = vr.convert(*t.get("v"), key);
    } catch (const toml::parse_error&) {
      v = value;  // a bare word is a string: --set config.batching.plugin=naive
    }
    assign_path(doc_, key, v, at);
    r_.where[key] = at;
  }

  void read_seeds(Sweep& sw) const {
    expect("seeds", doc_["seeds"].is_array() && !doc_["seeds"].empty(), "a non-empty array of integers");
    sw.seeds.clear();
    std::set<uint64_t> seen;
    size_t i = 0;
    for (auto& s : doc_["seeds"]) {
      std::string key = "seeds." + std::to_string(i++);
      if (!s.is_number_integer() || s.get<int64_t>() < 0) throw InputError(loc(key), "seeds", "each seed must be an integer >= 0");
      if (!seen.insert(s.get<uint64_t>()).second) throw InputError(loc(key), "seeds", "seed " + s.dump() + " is listed twice");
      sw.seeds.push_back(s.get<uint64_t>());
    }
  }

  Location loc(const std::string& path) const {
    auto it = r_.where.find(path);
    return it == r_.where.end() ? Location{r_.file, 0, 0} : it->second;
  }

  void expect(const std::string& key, bool ok, const std::string& what) const {
    if (!ok) throw InputError(loc(key), key, "expected " + what + ", got " + type_of(doc_.at(key)));
  }

  Reader r_;
  nlohmann::json doc_;
};

}  // namespace

Sweep parse_sweep(const std::string& text, const std::string& file, const std::vector<std::string>& sets) {
  const SweepDocument doc(text, file, sets);
  Sweep sw;
  sw.file = file;
  doc.read_header(sw);
  doc.read_entries(sw, "data", "source");
  doc.read_entries(sw, "evaluate", "evaluator");
  doc.read_grid(sw);
  doc.read_excludes_and_includes(sw);
  return sw;
}

Sweep load_sweep(const std::string& file, const std::vector<std::string>& sets) {
  if (auto kind = not_a_regular_file(file); !kind.empty())
    throw InputError({file, 0, 0}, "", kind == "no such file" ? kind : kind + ", not a sweep file");
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw InputError({file, 0, 0}, "", "cannot be read");
  return parse_sweep(ss.str(), file, sets);
}

}  // namespace longalign::host
