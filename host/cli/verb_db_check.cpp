// longalign db check FILE: SQLite's full integrity_check of a results database, what it finds
// damaged, and how to get the readable rest out (.recover into a new file, then merge).
#include <iostream>

#include "store/results_file.h"
#include "verbs.h"

namespace longalign::cli {

Verb add_db_check_verb(CLI::App& db) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = db.add_subcommand("check", "Check a results database in full (SQLite's integrity_check) and say how to recover it");
  cmd->add_option("FILE", *file, "The results database")->required();
  return {cmd, [file] {
            host::check_results_path(*file, host::OpenMode::kExisting);
            std::vector<std::string> problems;
            try {
              host::Database d(*file, host::Database::ReadOnly{});
              host::check_results_identity(d);
              problems = host::integrity_problems(d, host::Integrity::kFull);
            } catch (const host::StoreError& e) {  // too damaged for SQLite to read its schema
              problems = {e.what()};
            }
            if (problems.empty()) {
              std::cout << *file << ": ok (SQLite integrity_check found no damage)\n";
              return kExitOk;
            }
            std::cout << *file << ": damaged; SQLite's integrity_check found" << (problems.size() >= 100 ? " at least " : " ")
                      << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << ":\n";
            for (auto& p : problems) std::cout << "  " << p << "\n";
            std::cout << "Nothing was changed. " << host::recovery_advice(*file) << "\n";
            return kExitFailed;
          }};
}

}  // namespace longalign::cli
