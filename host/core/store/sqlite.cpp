#include "store/sqlite.h"

#include <cstring>
#include <thread>

namespace longalign::host {
namespace {

// After SQLite's words ("database or disk is full", "disk I/O error"), the system's where a
// system call failed ("Input/output error"). SQLite keeps an errno only for I/O and open errors
// (and never clears it), and none for a full disk.
std::string system_reason(sqlite3* db, int rc) {
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      if (const int err = sqlite3_system_errno(db)) return std::string(" (") + std::strerror(err) + ")";
      return "";
    case SQLITE_FULL: return " (no space left on the device)";
    default: return "";
  }
}

[[noreturn]] void fail(sqlite3* db, const std::string& file, const std::string& what) {
  if (!db) throw StoreError(file + ": " + what + ": out of memory", SQLITE_NOMEM);
  const int rc = sqlite3_extended_errcode(db);
  throw StoreError(file + ": " + what + ": " + sqlite3_errmsg(db) + system_reason(db, rc), rc & 0xff);
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql, const std::string& file) : file_(file) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    fail(db, file, "cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int i, std::string_view v) {
  sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Statement::step() {
  // The busy timeout already waited; a writer that still finds the database busy waits more
  // rather than hand "database is locked" to a user.
  for (int attempt = 0;; ++attempt) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < 100) {
      sqlite3_reset(stmt_);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    fail(sqlite3_db_handle(stmt_), file_, "statement failed");
  }
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text_at(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
}

void Database::open(int flags) {
  if (sqlite3_open_v2(file_.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    const int rc = db_ ? sqlite3_errcode(db_) : SQLITE_NOMEM;
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(file_ + ": cannot open database: " + msg, rc & 0xff);
  }
  sqlite3_busy_timeout(db_, 10000);
}

Database::Database(const std::string& file, bool create) : file_(file) {
  open(SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
}

Database::Database(const std::string& file, ReadOnly) : file_(file) { open(SQLITE_OPEN_READONLY); }

Database::~Database() { sqlite3_close(db_); }

void Database::exec(const std::string& sql) {
  for (int attempt = 0;; ++attempt) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return;
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && attempt < 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    throw StoreError(file_ + ": " + msg + system_reason(db_, sqlite3_extended_errcode(db_)) + " (in '" + sql.substr(0, 60) + "')",
                     rc & 0xff);
  }
}

}  // namespace longalign::host
