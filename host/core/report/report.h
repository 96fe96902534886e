// `longalign report DB`: the paper's tables from a sweep's results. Cells that differ only in
// their seed form a group (a row); the columns are every untagged metric of every evaluation
// (ENTRY.METRIC), the effective length of every score-by-length curve an evaluation reports
// (ENTRY.METRIC.effective_length, and ENTRY.METRIC.TASK.effective_length per task:
// effective_length.h), and the training's held-out losses (token and sequence means), final
// loss, target tokens/s and hours, each as mean ± std with a 95% interval over seeds. report.csv
// and report.json have them all; the markdown table shows all but the evaluations' counts and
// time (examples, cases, questions, truncated, tokens, rated, generations, seconds) and the
// effective lengths unless --columns names them. Plots (PNG, drawn by gnuplot): loss curves per
// cell, needle heatmaps (length x depth) per group, scores by length with a line per group, and
// target tokens/s per batching method.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "report/summary.h"

namespace longalign::host {

class Store;

struct ReportCell {
  std::string id, status;
  int64_t seed = 0;
  nlohmann::json grid, config;
  std::map<std::string, double> values;  // column -> value
  // Scores by length (evaluations' metrics tagged by length alone, or by task and length):
  // ENTRY.METRIC, or ENTRY.METRIC.TASK, -> length -> value.
  std::map<std::string, std::map<double, double>> curves;
};

struct ReportGroup {
  nlohmann::json grid;
  std::string label;  // "data.long.count=96, ..." or "(base)"
  std::vector<size_t> cells;  // indices into Report::cells
  std::map<std::string, Summary> columns;
  std::map<std::string, Summary> paired;  // after pair_with: differences from the baseline, seed by seed
};

struct Report {
  std::string sweep;
  std::vector<ReportCell> cells;  // done cells
  size_t not_done = 0;
  std::vector<std::string> columns;        // all of them, in display order
  std::vector<std::string> table_columns;  // those the markdown table shows
  std::vector<ReportGroup> groups;

  std::string baseline;  // the label of the group pair_with compared the others to

  // The markdown table's columns, in this order; throws std::invalid_argument naming one the
  // report lacks and listing those it has.
  void select(const std::vector<std::string>& wanted);
  // Paired differences: for every other group and column, (its value - the baseline group's) for
  // each seed both ran, summarised over those seeds, so the variation between seeds that every
  // arm shares (the data drawn, the evaluation items) cancels. Throws std::invalid_argument
  // naming a label no group has.
  void pair_with(const std::string& label);

  std::string markdown() const;  // a title, a line on what the values are, and table()
  std::string table() const;     // the markdown table (and the paired one) alone: what the README embeds
  std::string csv() const;  // one row per group and column
  nlohmann::json to_json() const;
};

// Reads every done cell of the file (one sweep, or the one named).
Report build_report(Store& store, const std::string& sweep = "");

// Writes loss.png, throughput.png, needle-*.png and length-*.png (where the results have them) into dir with
// gnuplot; returns the files written. Throws std::runtime_error when gnuplot is missing or fails.
std::vector<std::filesystem::path> draw_plots(Store& store, const Report& report, const std::filesystem::path& dir);

}  // namespace longalign::host
