#include "store/results_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>

#include "util/file_kind.h"
#include "util/input_error.h"

namespace longalign::host {
namespace {

[[noreturn]] void refuse(const std::string& file, const std::string& what) { throw InputError({file}, "", what); }

void check_header(const std::string& file) {
  char head[16] = {};
  std::ifstream in(file, std::ios::binary);
  if (!in) refuse(file, std::string("cannot be read: ") + std::strerror(errno));
  in.read(head, sizeof head);
  if (std::memcmp(head, "SQLite format 3", 16) != 0)
    refuse(file, "is not a longalign results database (not an SQLite file); nothing was written");
}

int64_t pragma(Database& db, const char* name) {
  auto s = db.prepare(std::string("PRAGMA ") + name);
  return s.step() ? s.int_at(0) : 0;
}

}  // namespace

// Ours: our application_id, or (files written before longalign set it) our tables at a schema
// version we number.
void check_results_identity(Database& db) {
  const std::string& file = db.file();
  const int64_t id = pragma(db, "application_id");
  if (id == kResultsApplicationId) return;
  auto s = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('sweeps', 'runs', 'step_metrics')");
  const bool our_tables = s.step() && s.int_at(0) == 3;
  if (id == 0 && our_tables && pragma(db, "user_version") >= 1) return;
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%08llx", static_cast<unsigned long long>(id));
  refuse(file, std::string("is an SQLite database but not a longalign results database (application_id ") + hex +
                   (our_tables ? "" : ", no runs table") + "); nothing was written");
}

void make_results_dir(const std::string& file) {
  const std::filesystem::path dir = std::filesystem::absolute(file).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) refuse(file, "cannot create its directory " + dir.string() + ": " + ec.message());
}

std::vector<std::string> integrity_problems(Database& db, Integrity check, size_t limit) {
  auto s = db.prepare((check == Integrity::kFull ? "PRAGMA integrity_check(" : "PRAGMA quick_check(") +
                      std::to_string(limit) + ")");
  std::vector<std::string> problems;
  while (s.step())
    if (s.text_at(0) != "ok") problems.push_back(s.text_at(0));
  return problems;
}

std::string recovery_advice(const std::string& file) {
  return "to save what is readable: sqlite3 '" + file + "' .recover | sqlite3 recovered.sqlite, then "
         "longalign merge NEW.sqlite recovered.sqlite (and rerun the sweep into NEW.sqlite for the rest)";
}

bool check_results_path(const std::string& file, OpenMode mode) {
  const std::string kind = not_a_regular_file(file);
  if (kind == "no such file") {
    if (mode == OpenMode::kExisting) refuse(file, kind);
    return true;
  }
  if (!kind.empty()) refuse(file, kind + ", not a results database");
  if (std::filesystem::file_size(file) == 0) refuse(file, "is empty (0 bytes), not a longalign results database; remove it to start a new one");
  check_header(file);
  return false;
}

namespace {

// A new results file is made whole beside its name, under a name of this process's own
// (application_id, the schema, and the write-ahead log folded into the file, which fails on a
// full disk instead of being lost with the log), then linked into place. So a failure on the way
// leaves nothing under the name that is neither absent nor ours, and a file another process made
// meanwhile stays (link() does not replace; where the filesystem has no hard links, a rename
// where no file is).
void create_results_file(const std::string& file, const std::function<void(Database&)>& initialize) {
  static unsigned attempt = 0;
  const std::string fresh = file + ".creating." + std::to_string(getpid()) + "." + std::to_string(attempt++);
  auto remove_fresh = [&] {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(fresh + suffix, ignored);
  };
  try {
    Database db(fresh, true);
    db.exec("PRAGMA application_id = " + std::to_string(kResultsApplicationId));
    initialize(db);
    auto folded = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!folded.step() || folded.int_at(0) != 0) throw StoreError(fresh + ": the new file's log could not be folded in");
  } catch (const StoreError& e) {  // named by the file the user asked for
    remove_fresh();
    throw StoreError(file + ": cannot be created: " + e.what(), e.code());
  } catch (...) {
    remove_fresh();
    throw;
  }
  int err = ::link(fresh.c_str(), file.c_str()) == 0 ? 0 : errno;
  if (err == EPERM || err == EOPNOTSUPP || err == ENOSYS) {  // no hard links here
    std::error_code ec;
    err = std::filesystem::exists(file) ? EEXIST : (std::filesystem::rename(fresh, file, ec), ec.value());
  }
  remove_fresh();
  if (err != 0 && err != EEXIST) refuse(file, std::string("cannot be created: ") + std::strerror(err));
}

// SQLite's codes for a file that is not a database or is broken inside; any other failure to
// read it (a lock, a directory that cannot hold the -shm file) is not damage.
bool damage(int code) { return code == SQLITE_CORRUPT || code == SQLITE_NOTADB; }

}  // namespace

Database open_results_database(const std::string& file, OpenMode mode, Integrity check,
                               const std::function<void(Database&)>& initialize) {
  if (check_results_path(file, mode)) create_results_file(file, initialize);
  try {
    Database db(file, false);
    check_results_identity(db);
    auto problems = integrity_problems(db, check, 1);
    if (!problems.empty())
      refuse(file, "is damaged (SQLite: " + problems.front() + "); nothing was written. `longalign db check " + file +
                       "` lists the damage; " + recovery_advice(file));
    return db;
  } catch (const StoreError& e) {  // SQLite could not even read its schema
    if (!damage(e.code())) throw;
    refuse(file, std::string("is damaged (") + e.what() + "); nothing was written; " + recovery_advice(file));
  }
}

}  // namespace longalign::host
