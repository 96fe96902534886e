// What a path given as a results database is, checked before anything reads or writes it: a
// file, not empty, SQLite, ours (application_id, or a file from before we set it: our schema),
// and undamaged (PRAGMA quick_check, or the full integrity_check). Every refusal is an
// InputError naming the file, so the command exits 2 with the file untouched.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace longalign::host {

// PRAGMA application_id of a longalign results database: "LALN".
constexpr int32_t kResultsApplicationId = 0x4c414c4e;

enum class OpenMode {
  kExisting,        // report, eval, plan, a merge's source: the file must be there
  kCreateIfMissing  // run, merge's destination, a cell's own file: created only where no file is
};
enum class Integrity { kQuick, kFull };

// Opens the file, or throws InputError with what the path is instead. Where the mode allows and
// no file is there, it is first made whole under another name (application_id, and `initialize`
// for the schema) and then put in place, so a failure midway leaves no file behind.
Database open_results_database(const std::string& file, OpenMode mode, Integrity check,
                               const std::function<void(Database&)>& initialize);

// The checks open_results_database makes, for `longalign db check`, which reports damage instead
// of refusing it. check_results_path: true when there is no file and the mode may create one.
bool check_results_path(const std::string& file, OpenMode mode);
void check_results_identity(Database& db);

// Creates the directory a new results database goes in, or throws InputError saying why not.
void make_results_dir(const std::string& file);

// What SQLite's quick_check or integrity_check finds wrong, at most `limit` lines; none: empty.
std::vector<std::string> integrity_problems(Database& db, Integrity check, size_t limit = 100);

// How to get the data out of a damaged file: SQLite's .recover into a new file, then merge.
std::string recovery_advice(const std::string& file);

}  // namespace longalign::host
