#include "report/report.h"

#include <algorithm>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "report/effective_length.h"
#include "store/store.h"
#include "sweep/resolve.h"
#include "util/atomic_file.h"
#include "util/input_error.h"
#include "util/nearest.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

// Run metrics every report shows, where the cells have them, with their column names.
const std::vector<std::pair<std::string, std::string>> kRunColumns = {
    {"heldout.loss", "heldout.loss"},
    {"heldout.sequence_loss", "heldout.sequence_loss"},
    {"train.final_loss", "train.final_loss"},
    {"train.target_tokens_per_s", "train.target_tokens_per_s"},
};

// A group's name: its grid values, a table shown by its keys ({core,docs}) to stay short.
std::string label_of(const nlohmann::json& grid) {
  if (grid.empty()) return "(base)";
  std::string s;
  for (auto& [k, v] : grid.items()) {
    std::string value = v.is_string() ? v.get<std::string>() : v.dump();
    if (v.is_object()) {
      value = "{";
      for (auto& [key, unused] : v.items()) value += (value.size() > 1 ? "," : "") + key;
      value += "}";
    }
    s += (s.empty() ? "" : ", ") + k + "=" + value;
  }
  return s;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(x) >= 1000 && std::fabs(x) < 1e9 ? "%.0f" : "%.4g", x);
  return buf;
}

// Evaluators' counts and time (how many examples, cases, truncated prompts; seconds): columns of
// report.csv and report.json, and of the table when --columns names them, not shown by default.
bool bookkeeping(const std::string& metric) {
  for (const char* m : {"seconds", "examples", "cases", "questions", "truncated", "tokens", "rated", "generations"})
    if (metric == m) return true;
  return false;
}

const std::string kEffectiveLength = ".effective_length";

bool is_effective_length(const std::string& column) {
  return column.size() > kEffectiveLength.size() && column.compare(column.size() - kEffectiveLength.size(), std::string::npos, kEffectiveLength) == 0;
}

// A length tag's value as a number, or nullopt where it is not one.
std::optional<double> length_of(const nlohmann::json& tag) {
  if (!tag.is_string()) return std::nullopt;
  const std::string s = tag.get<std::string>();
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(x)) return std::nullopt;
  return x;
}

// Where a tagged evaluation row belongs on a score-by-length curve: "ENTRY.METRIC" for tags
// {length}, "ENTRY.METRIC.TASK" for {task, length}; nullopt for any other breakdown and for
// counts and time.
std::optional<std::pair<std::string, double>> curve_point(const std::string& column, const nlohmann::json& tags) {
  if (!tags.is_object() || !tags.contains("length") || bookkeeping(column.substr(column.rfind('.') + 1))) return std::nullopt;
  const auto length = length_of(tags["length"]);
  if (!length) return std::nullopt;
  if (tags.size() == 1) return std::make_pair(column, *length);
  if (tags.size() == 2 && tags.contains("task") && tags["task"].is_string())
    return std::make_pair(column + "." + tags["task"].get<std::string>(), *length);
  return std::nullopt;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A sweep's cells: those its runs name, and those its last run planned (sweeps.spec_json), which
// include cells it found done under another sweep that shares them; the grid values are the ones
// this sweep gave each cell.
std::map<std::string, std::pair<int64_t, nlohmann::json>> members_of(Store& store, const std::string& sweep) {
  std::map<std::string, std::pair<int64_t, nlohmann::json>> members;  // cell id -> seed, grid
  for (const RunRecord& run : store.runs_of_sweep(sweep)) members[run.cell_id] = {run.seed, nlohmann::json::parse(run.grid_json)};
  if (auto spec = store.sweep_spec(sweep)) {
    const nlohmann::json planned = nlohmann::json::parse(*spec);
    for (auto& c : planned.value("cells", nlohmann::json::array()))
      members[c.at("cell_id").get<std::string>()] = {c.at("seed").get<int64_t>(), c.at("grid")};
  }
  return members;
}

}  // namespace

Report build_report(Store& store, const std::string& sweep) {
  Report r;
  r.sweep = sweep;
  const std::vector<std::string> sweeps = store.sweep_names();
  const std::set<std::string> names(sweeps.begin(), sweeps.end());
  std::string all;
  for (auto& n : names) all += (all.empty() ? "" : ", ") + n;
  if (r.sweep.empty()) {
    if (names.size() > 1) throw InputError({store.db().file()}, "", "holds several sweeps (" + all + "): name one with --sweep");
    if (!names.empty()) r.sweep = *names.begin();
  } else if (!names.count(r.sweep)) {
    throw InputError({store.db().file()}, "", "holds no sweep '" + r.sweep + "'" + (all.empty() ? "" : " (it holds: " + all + ")"));
  }
  for (auto& [id, member] : members_of(store, r.sweep)) {
    auto run = store.run(id);
    if (!run || run->status != "done") {
      ++r.not_done;
      continue;
    }
    ReportCell c;
    c.id = id;
    c.seed = member.first;
    c.grid = member.second;
    c.config = nlohmann::json::parse(run->params_json);
    c.status = run->status;
    r.cells.push_back(std::move(c));
  }
  // Groups in grid order (numbers as numbers), seeds in order within them.
  std::stable_sort(r.cells.begin(), r.cells.end(), [](const ReportCell& a, const ReportCell& b) {
    return a.grid < b.grid || (a.grid == b.grid && a.seed < b.seed);
  });

  std::vector<std::string> eval_columns;
  for (auto& c : r.cells) {
    for (auto& [name, value] : store.run_metrics(c.id)) c.values[name] = value;
    if (c.values.count("train.seconds")) c.values["train.hours"] = c.values["train.seconds"] / 3600;
    // Evaluation ids are content ids of (cell, entry): map them back to the entries' names.
    std::map<std::string, std::string> names;
    if (c.config.contains("evaluate"))
      for (auto& [name, entry] : c.config["evaluate"].items()) names[content_id({{"cell", c.id}, {"evaluate", entry}})] = name;
    for (const EvalResultRow& e : store.eval_results(c.id)) {
      auto it = names.find(e.eval_id);
      if (it == names.end()) continue;
      const std::string column = it->second + "." + e.metric;
      if (e.tags_json != "{}") {  // tagged: a breakdown (by length, depth, task...)
        if (auto point = curve_point(column, nlohmann::json::parse(e.tags_json))) c.curves[point->first][point->second] = e.value;
        continue;
      }
      c.values[column] = e.value;
      if (std::find(eval_columns.begin(), eval_columns.end(), column) == eval_columns.end()) eval_columns.push_back(column);
    }
    for (auto& [curve, points] : c.curves) {
      const std::string column = curve + kEffectiveLength;
      c.values[column] = effective_length(points);
      if (std::find(eval_columns.begin(), eval_columns.end(), column) == eval_columns.end()) eval_columns.push_back(column);
    }
  }
  std::sort(eval_columns.begin(), eval_columns.end());
  r.columns = eval_columns;
  for (auto& col : eval_columns)
    if (!bookkeeping(col.substr(col.rfind('.') + 1)) && !is_effective_length(col)) r.table_columns.push_back(col);
  for (auto& [metric, column] : kRunColumns)
    for (auto& c : r.cells)
      if (c.values.count(metric)) {
        r.columns.push_back(column);
        r.table_columns.push_back(column);
        break;
      }
  r.columns.push_back("train.hours");
  r.table_columns.push_back("train.hours");

  std::map<std::string, size_t> group_of;
  for (size_t i = 0; i < r.cells.size(); ++i) {
    const std::string key = r.cells[i].grid.dump();
    auto [it, fresh] = group_of.emplace(key, r.groups.size());
    if (fresh) r.groups.push_back({r.cells[i].grid, label_of(r.cells[i].grid), {}, {}, {}});
    r.groups[it->second].cells.push_back(i);
  }
  for (auto& g : r.groups)
    for (auto& col : r.columns) {
      std::vector<double> v;
      for (size_t i : g.cells)
        if (auto it = r.cells[i].values.find(col); it != r.cells[i].values.end() && std::isfinite(it->second)) v.push_back(it->second);
      if (!v.empty()) g.columns[col] = summarize(v);
    }
  return r;
}

void Report::select(const std::vector<std::string>& wanted) {
  for (auto& w : wanted)
    if (std::find(columns.begin(), columns.end(), w) == columns.end()) {
      std::string all;
      for (auto& c : columns) all += (all.empty() ? "" : ", ") + c;
      throw std::invalid_argument("no column '" + w + "' in this report" + did_you_mean(w, columns) + " (its columns: " + all + ")");
    }
  table_columns = wanted;
}

void Report::pair_with(const std::string& label) {
  std::vector<std::string> labels;
  for (auto& g : groups) labels.push_back(g.label);
  auto base = std::find(labels.begin(), labels.end(), label);
  if (base == labels.end()) throw std::invalid_argument("no group '" + label + "' in this report" + did_you_mean(label, labels));
  baseline = label;
  const ReportGroup& b = groups[static_cast<size_t>(base - labels.begin())];
  std::map<int64_t, size_t> base_cell_of_seed;
  for (size_t i : b.cells) base_cell_of_seed[cells[i].seed] = i;
  for (auto& g : groups) {
    g.paired.clear();
    if (g.label == label) continue;
    for (auto& col : columns) {
      std::vector<double> d;
      for (size_t i : g.cells) {
        auto j = base_cell_of_seed.find(cells[i].seed);
        if (j == base_cell_of_seed.end()) continue;
        auto x = cells[i].values.find(col), y = cells[j->second].values.find(col);
        if (x != cells[i].values.end() && y != cells[j->second].values.end() && std::isfinite(x->second) && std::isfinite(y->second))
          d.push_back(x->second - y->second);
      }
      if (!d.empty()) g.paired[col] = summarize(d);
    }
  }
}

std::string Report::markdown() const {
  return "# " + sweep + "\n\n" + std::to_string(cells.size()) + " cells done" +
         (not_done ? ", " + std::to_string(not_done) + " not done (left out)" : "") +
         ". Each value: the mean over seeds, ± the standard deviation and [the 95% interval] where a group has several.\n\n" +
         table();
}

std::string Report::table() const {
  auto header = [&] {
    std::string h = "| cells | seeds |";
    for (auto& c : table_columns) h += " " + c + " |";
    h += "\n| --- | --- |";
    for (size_t i = 0; i < table_columns.size(); ++i) h += " --- |";
    return h + "\n";
  };
  auto row = [&](const ReportGroup& g, const std::map<std::string, Summary>& values, size_t seeds) {
    std::string r = "| " + g.label + " | " + std::to_string(seeds) + " |";
    for (auto& c : table_columns) {
      auto it = values.find(c);
      if (it == values.end()) {
        r += " |";
        continue;
      }
      const Summary& s = it->second;
      r += " " + number(s.mean);
      if (s.n > 1) r += " ± " + number(s.std) + " [" + number(s.lo) + ", " + number(s.hi) + "]";
      r += " |";
    }
    return r + "\n";
  };
  std::string out = header();
  for (auto& g : groups) out += row(g, g.columns, g.cells.size());
  if (baseline.empty()) return out;
  out += "\nPaired with " + baseline + ", seed by seed: the mean difference ± std [95% interval].\n\n" + header();
  for (auto& g : groups)
    if (g.label != baseline) {
      size_t paired_seeds = 0;  // those the baseline ran too
      for (auto& [col, s] : g.paired) paired_seeds = std::max(paired_seeds, s.n);
      out += row(g, g.paired, paired_seeds);
    }
  return out;
}

std::string Report::csv() const {
  auto field = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string out = "group,column,n,mean,std,ci_low,ci_high\n";
  for (auto& g : groups)
    for (auto& [col, s] : g.columns)
      out += field(g.label) + "," + col + "," + std::to_string(s.n) + "," + number(s.mean) + "," + number(s.std) + "," +
             number(s.lo) + "," + number(s.hi) + "\n";
  return out;
}

nlohmann::json Report::to_json() const {
  nlohmann::json j = {{"sweep", sweep}, {"cells_done", cells.size()}, {"cells_not_done", not_done}, {"columns", columns},
                      {"table_columns", table_columns}};
  if (!baseline.empty()) j["baseline"] = baseline;
  j["groups"] = nlohmann::json::array();
  for (auto& g : groups) {
    nlohmann::json row = {{"grid", g.grid}, {"cells", nlohmann::json::array()}, {"columns", nlohmann::json::object()}};
    for (size_t i : g.cells) row["cells"].push_back({{"cell_id", cells[i].id}, {"seed", cells[i].seed}});
    for (auto& [col, s] : g.columns)
      row["columns"][col] = {{"n", s.n}, {"mean", s.mean}, {"std", s.std}, {"ci95", {s.lo, s.hi}}};
    for (auto& [col, s] : g.paired)
      row["paired"][col] = {{"n", s.n}, {"mean", s.mean}, {"std", s.std}, {"ci95", {s.lo, s.hi}}};
    j["groups"].push_back(row);
  }
  return j;
}

namespace {

// The plots a report draws: their data files and PNGs under dir, drawn by one gnuplot script.
struct Plots {
  std::filesystem::path dir;
  std::string script;
  std::vector<std::filesystem::path> made;
};

// Loss curves, one line per cell.
void plot_loss(Store& store, const Report& r, Plots& plots) {
  const std::filesystem::path& dir = plots.dir;
  std::string& script = plots.script;
  std::vector<std::filesystem::path>& made = plots.made;
  std::ostringstream data;
  std::vector<std::string> titles;
  for (auto& c : r.cells) {
    std::string rows;
    for (auto& [step, value] : store.step_series(c.id, "loss")) rows += std::to_string(step) + " " + number(value) + "\n";
    if (rows.empty()) continue;
    data << (titles.empty() ? "" : "\n\n") << rows;  // gnuplot's data blocks, one per cell
    titles.push_back(quoted(label_of(c.grid) + " seed " + std::to_string(c.seed)));
  }
  write_file_atomically(dir / "loss.dat", data.str());
  if (!titles.empty()) {
    std::string array;
    for (auto& t : titles) array += (array.empty() ? "" : ",") + t;
    script += "set output " + quoted((dir / "loss.png").string()) + "\nset title \"Training loss per cell\"\n"
              "set xlabel \"optimizer step\"\nset ylabel \"loss (nats per target token)\"\n"
              "array t[" + std::to_string(titles.size()) + "] = [" + array + "]\n"
              "plot for [i=0:" + std::to_string(titles.size() - 1) + "] " + quoted((dir / "loss.dat").string()) +
              " index i using 1:2 with lines lw 1.5 title t[i+1]\n";
    made.push_back(dir / "loss.png");
  }
}

// Target tokens/s per batching method (and loss weighting), averaged over its cells.
void plot_throughput(const Report& r, Plots& plots) {
  const std::filesystem::path& dir = plots.dir;
  std::string& script = plots.script;
  std::vector<std::filesystem::path>& made = plots.made;
  std::map<std::string, std::vector<double>> by_method;
  for (auto& c : r.cells)
    if (auto it = c.values.find("train.target_tokens_per_s"); it != c.values.end())
      by_method[c.config["batching"]["plugin"].get<std::string>() + " + " + c.config["loss"]["plugin"].get<std::string>()].push_back(it->second);
  if (!by_method.empty()) {
    std::ostringstream data;
    for (auto& [method, v] : by_method) data << quoted(method) << " " << number(summarize(v).mean) << "\n";
    write_file_atomically(dir / "throughput.dat", data.str());
    script += "set output " + quoted((dir / "throughput.png").string()) + "\nset title \"Target tokens per second\"\n"
              "unset xlabel\nset ylabel \"target tokens/s\"\nset style fill solid 0.6\nset boxwidth 0.6\nset yrange [0:*]\n"
              "plot " + quoted((dir / "throughput.dat").string()) + " using 0:2:xtic(1) with boxes notitle\n"
              "set yrange [*:*]\n";
    made.push_back(dir / "throughput.png");
  }
}

// Values per group against x (a step, a length): stem.png with one line per group, the mean over
// its seeds at each x. `axes` sets what the plot needs beyond its labels, `reset` undoes it.
template <typename X>
void plot_group_lines(const Report& r, Plots& plots, const std::string& stem, const std::vector<std::map<X, std::vector<double>>>& groups,
                      const std::string& title, const std::string& xlabel, const std::string& ylabel, const std::string& axes = "",
                      const std::string& reset = "") {
  std::ostringstream data;
  std::string titles;
  size_t blocks = 0;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    if (groups[gi].empty()) continue;
    data << (blocks++ ? "\n\n" : "");
    for (auto& [x, v] : groups[gi]) data << number(static_cast<double>(x)) << " " << number(summarize(v).mean) << "\n";
    titles += (titles.empty() ? "" : ",") + quoted(r.groups[gi].label);
  }
  write_file_atomically(plots.dir / (stem + ".dat"), data.str());
  plots.script += "set output " + quoted((plots.dir / (stem + ".png")).string()) + "\nset title " + quoted(title) +
                  "\nset xlabel " + quoted(xlabel) + "\nset ylabel " + quoted(ylabel) + "\n" + axes +
                  "array t[" + std::to_string(blocks) + "] = [" + titles + "]\n"
                  "plot for [i=0:" + std::to_string(blocks - 1) + "] " + quoted((plots.dir / (stem + ".dat")).string()) +
                  " index i using 1:2 with linespoints lw 1.5 title t[i+1]\n" + reset;
  plots.made.push_back(plots.dir / (stem + ".png"));
}

// Evaluations during training (eval.every_steps): per metric, one line per group, the mean over
// its seeds at each step.
void plot_evaluations_during_training(Store& store, const Report& r, Plots& plots) {
  std::map<std::string, std::vector<std::map<int64_t, std::vector<double>>>> by_metric;  // name -> group -> step -> values
  for (size_t gi = 0; gi < r.groups.size(); ++gi)
    for (size_t i : r.groups[gi].cells) {
      for (auto& [name, step, value] : store.step_metrics_with_prefix(r.cells[i].id, "eval.")) {
        const std::string metric = name.substr(name.rfind('.') + 1);
        if (metric == "failed" || bookkeeping(metric)) continue;  // failures, counts and time: no curve to read
        auto& groups = by_metric[name];
        groups.resize(r.groups.size());
        groups[gi][step].push_back(value);
      }
    }
  for (auto& [name, groups] : by_metric) {
    std::string stem = name;
    std::replace(stem.begin(), stem.end(), '.', '-');
    plot_group_lines(r, plots, stem, groups, name.substr(5) + " during training, mean over seeds", "optimizer step",
                     name.substr(name.rfind('.') + 1));
  }
}

// How each step's loss weight spreads over its sequences (weights.*, train_step.h): per group,
// the share its longest quarter of sequences carries under the cell's weighting and under a
// token mean, mean over seeds at each step: what packing's token mean does, and what the
// weighting undoes, seen rather than told.
void plot_loss_weight_spread(Store& store, const Report& r, Plots& plots) {
  for (size_t gi = 0; gi < r.groups.size(); ++gi) {
    const ReportGroup& g = r.groups[gi];
    std::map<int64_t, std::vector<double>> weighting, token_mean;
    for (size_t i : g.cells) {
      for (auto& [step, v] : store.step_series(r.cells[i].id, "weights.longest_quarter_share")) weighting[step].push_back(v);
      for (auto& [step, v] : store.step_series(r.cells[i].id, "weights.token_mean.longest_quarter_share")) token_mean[step].push_back(v);
    }
    if (weighting.empty()) continue;
    const std::string stem = "loss-weight-" + std::to_string(gi + 1);
    std::ostringstream data;
    for (auto* series : {&weighting, &token_mean}) {
      data << (series == &weighting ? "" : "\n\n");
      for (auto& [step, v] : *series) data << step << " " << number(summarize(v).mean) << "\n";
    }
    write_file_atomically(plots.dir / (stem + ".dat"), data.str());
    const std::string loss = g.cells.empty() ? "" : r.cells[g.cells[0]].config["loss"]["plugin"].get<std::string>();
    plots.script += "set output " + quoted((plots.dir / (stem + ".png")).string()) + "\nset title " +
                    quoted("Loss weight on each step's longest quarter of sequences: " + g.label) +
                    "\nset xlabel \"optimizer step\"\nset ylabel \"share of the step's loss weight\"\nset yrange [0:1]\n"
                    "plot " + quoted((plots.dir / (stem + ".dat")).string()) + " index 0 using 1:2 with lines lw 1.5 title " +
                    quoted(loss + " (this cell's)") + ", '' index 1 using 1:2 with lines lw 1.5 title \"token mean\"\nset yrange [*:*]\n";
    plots.made.push_back(plots.dir / (stem + ".png"));
  }
}

// Scores by length (ReportCell::curves): per curve (an evaluation's metric, overall or per task),
// one line per group, the mean over its seeds at each length: where a group's effective length
// comes from.
void plot_scores_by_length(const Report& r, Plots& plots) {
  std::map<std::string, std::vector<std::map<double, std::vector<double>>>> by_curve;  // curve -> group -> length -> values
  for (size_t gi = 0; gi < r.groups.size(); ++gi)
    for (size_t i : r.groups[gi].cells)
      for (auto& [curve, points] : r.cells[i].curves) {
        auto& groups = by_curve[curve];
        groups.resize(r.groups.size());
        for (auto& [length, value] : points) groups[gi][length].push_back(value);
      }
  for (auto& [curve, groups] : by_curve) {
    std::string stem = "length-" + curve;
    std::replace(stem.begin(), stem.end(), '.', '-');
    plot_group_lines(r, plots, stem, groups, curve + " by length, mean over seeds", "length (tokens)", curve.substr(curve.find('.') + 1),
                     "set logscale x 2\nset yrange [0:*]\n", "unset logscale x\nset yrange [*:*]\n");
  }
}

// Needle heatmaps: per evaluation and group, accuracy (and char_match, where the evaluator gave
// it) by (length, depth), mean over seeds.
void plot_needle_heatmaps(Store& store, const Report& r, Plots& plots) {
  const std::filesystem::path& dir = plots.dir;
  std::string& script = plots.script;
  std::vector<std::filesystem::path>& made = plots.made;
  for (size_t gi = 0; gi < r.groups.size(); ++gi) {
    const ReportGroup& g = r.groups[gi];
    // (name, metric) -> (length, depth) -> values
    std::map<std::pair<std::string, std::string>, std::map<std::pair<double, double>, std::vector<double>>> by_eval;
    for (size_t i : g.cells) {
      const ReportCell& c = r.cells[i];
      std::map<std::string, std::string> names;
      const nlohmann::json evaluations = c.config.value("evaluate", nlohmann::json::object());
      for (auto& [name, entry] : evaluations.items())
        if (entry["evaluator"] == "needle") names[content_id({{"cell", c.id}, {"evaluate", entry}})] = name;
      for (const EvalResultRow& e : store.eval_results(c.id)) {
        auto it = names.find(e.eval_id);
        if (it == names.end() || (e.metric != "accuracy" && e.metric != "char_match")) continue;
        auto tags = nlohmann::json::parse(e.tags_json);
        if (!tags.contains("length") || !tags.contains("depth")) continue;
        by_eval[{it->second, e.metric}][{std::stod(tags["length"].get<std::string>()), std::stod(tags["depth"].get<std::string>())}]
            .push_back(e.value);
      }
    }
    for (auto& [key, cellsd] : by_eval) {
      const auto& [name, metric] = key;
      std::set<double> lengths, depths;
      for (auto& [ld, v] : cellsd) lengths.insert(ld.first), depths.insert(ld.second);
      const std::string stem = "needle-" + name + (metric == "accuracy" ? "" : "-" + metric) + "-" + std::to_string(gi + 1);
      std::ostringstream data;
      data << "x";
      for (double d : depths) data << " " << number(d);
      data << "\n";
      for (double l : lengths) {
        data << number(l);
        for (double d : depths) {
          auto it = cellsd.find({l, d});
          data << " " << (it == cellsd.end() ? std::string("NaN") : number(summarize(it->second).mean));
        }
        data << "\n";
      }
      write_file_atomically(dir / (stem + ".dat"), data.str());
      script += "set output " + quoted((dir / (stem + ".png")).string()) + "\nset title " +
                quoted("Needle (" + name + (metric == "accuracy" ? "" : ", " + metric) + "): " + g.label) +
                "\nset xlabel \"depth\"\nset ylabel \"length (tokens)\"\nset cbrange [0:1]\nset palette defined (0 \"#d73027\", 0.5 \"#fee08b\", 1 \"#1a9850\")\n"
                "plot " + quoted((dir / (stem + ".dat")).string()) + " matrix rowheaders columnheaders with image notitle\n"
                "unset cbrange\n";
      made.push_back(dir / (stem + ".png"));
    }
  }
}

}  // namespace

std::vector<std::filesystem::path> draw_plots(Store& store, const Report& r, const std::filesystem::path& dir) {
  const auto gnuplot = find_program("gnuplot");
  if (!gnuplot)
    throw std::runtime_error("gnuplot is not installed (Debian: apt-get install gnuplot-nox); --no-plots writes the tables alone");
  std::filesystem::create_directories(dir);
  // noenhanced: labels are literal (gnuplot would take the _ of train.final_loss as a subscript).
  Plots plots{dir, "set terminal pngcairo noenhanced size 900,560 font \"sans,10\"\nset key below\nset grid\n", {}};
  plot_loss(store, r, plots);
  plot_throughput(r, plots);
  plot_evaluations_during_training(store, r, plots);
  plot_needle_heatmaps(store, r, plots);
  plot_scores_by_length(r, plots);
  plot_loss_weight_spread(store, r, plots);
  if (plots.made.empty()) return plots.made;
  write_file_atomically(dir / "plots.gp", plots.script);
  auto res = run_process({*gnuplot, (dir / "plots.gp").string()}, std::chrono::seconds(120));
  if (!res.ok()) throw std::runtime_error("gnuplot " + res.describe() + ": " + res.err.substr(0, 1000));
  return plots.made;
}

}  // namespace longalign::host
