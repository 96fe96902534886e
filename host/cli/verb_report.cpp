// longalign report DB: the sweep's tables (markdown, CSV, JSON) and plots (PNG) from its results.
#include <fstream>
#include <iostream>

#include "report/report.h"
#include "store/store.h"
#include "util/atomic_file.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  std::string db, format = "md", out, sweep;
  std::vector<std::string> columns;
  std::string baseline;
  bool no_plots = false, check = false;
};

}  // namespace

Verb add_report_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("report", "Tables (mean ± std, 95% interval over seeds) and plots of a sweep's results");
  cmd->add_option("DB", opt->db, "The sweep's results file")->required();
  cmd->add_option("--format", opt->format, "What to print: md, csv, json, or table (the markdown table alone)")
      ->check(CLI::IsMember({"md", "csv", "json", "table"}));
  cmd->add_option("--columns", opt->columns, "The markdown table's columns, in this order (comma-separated; report.csv and report.json keep all)")->delimiter(',');
  cmd->add_option("--paired-with", opt->baseline,
                  "Also tabulate each group's differences from this group (its label, e.g. \"loss.plugin=token-mean\"), seed by seed");
  cmd->add_option("--out", opt->out, "Write report.md, report.csv, report.json and the PNGs here (default: DB's name + -report/)");
  cmd->add_option("--sweep", opt->sweep, "The sweep, when the file holds several");
  cmd->add_flag("--no-plots", opt->no_plots, "Tables only (no gnuplot needed)");
  cmd->add_flag("--check", opt->check, "Check the whole file first (SQLite's integrity_check, not only quick_check)");
  return {cmd, [opt] {
            host::Store store(opt->db, host::OpenMode::kExisting, opt->check ? host::Integrity::kFull : host::Integrity::kQuick);
            const host::ReadSnapshot snapshot(store.db());  // one consistent view, while cells merge
            host::Report r = host::build_report(store, opt->sweep);
            try {
              if (!opt->columns.empty()) r.select(opt->columns);
            } catch (const std::invalid_argument& e) {
              std::cerr << "longalign report: --columns: " << e.what() << "\n";
              return kExitBadInput;
            }
            try {
              if (!opt->baseline.empty()) r.pair_with(opt->baseline);
            } catch (const std::invalid_argument& e) {
              std::cerr << "longalign report: --paired-with: " << e.what() << "\n";
              return kExitBadInput;
            }
            const std::filesystem::path out =
                opt->out.empty() ? std::filesystem::path(opt->db).replace_extension("").string() + "-report" : opt->out;
            std::filesystem::create_directories(out);
            host::write_file_atomically(out / "report.md", r.markdown());
            host::write_file_atomically(out / "report.csv", r.csv());
            host::write_file_atomically(out / "report.json", r.to_json().dump(2) + "\n");
            if (opt->format == "md") std::cout << r.markdown();
            if (opt->format == "table") std::cout << r.table();
            if (opt->format == "csv") std::cout << r.csv();
            if (opt->format == "json") std::cout << r.to_json().dump(2) << "\n";
            if (!opt->no_plots)
              for (auto& png : host::draw_plots(store, r, out)) std::cerr << "wrote " << png.string() << "\n";
            std::cerr << "wrote " << (out / "report.md").string() << ", report.csv, report.json\n";
            return kExitOk;
          }};
}

}  // namespace longalign::cli
