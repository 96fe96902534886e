// A thin RAII layer over the SQLite C API: a connection, prepared statements with typed binds,
// and transactions. Every failure throws StoreError naming the database file.
#pragma once
#include <sqlite3.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace longalign::host {

class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& message, int code = 0) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }  // SQLite's primary result code, e.g. SQLITE_CORRUPT; 0 when none

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql, const std::string& file);
  Statement(Statement&& o) noexcept : stmt_(o.stmt_), file_(std::move(o.file_)) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& bind(int i, int64_t v);
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind_blob(int i, std::string_view v);
  Statement& bind_null(int i);
  Statement& bind(int i, const std::optional<std::string>& v) { return v ? bind(i, std::string_view(*v)) : bind_null(i); }
  bool step();  // true while a row is available
  void run();   // steps to completion, then resets for reuse
  void reset();
  int64_t int_at(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real_at(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text_at(int col) const;
  bool null_at(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int columns() const { return sqlite3_column_count(stmt_); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  std::string file_;
};

class Database {
 public:
  // Opens (creating it if asked) with WAL, synchronous=NORMAL and a busy timeout, so writers
  // from several processes wait for each other instead of failing.
  explicit Database(const std::string& file, bool create = true);
  // Read-only, as the file is (no journal mode set): for looking at a file without changing it.
  struct ReadOnly {};
  Database(const std::string& file, ReadOnly);
  Database(Database&& o) noexcept : db_(o.db_), file_(std::move(o.file_)) { o.db_ = nullptr; }
  Database(const Database&) = delete;
  ~Database();

  Statement prepare(std::string_view sql) { return Statement(db_, sql, file_); }
  void exec(const std::string& sql);
  const std::string& file() const { return file_; }
  sqlite3* raw() { return db_; }

  // BEGIN IMMEDIATE ... COMMIT, rolled back if the body throws.
  template <typename F>
  void transaction(F&& body) {
    exec("BEGIN IMMEDIATE");
    try {
      body();
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

 private:
  void open(int flags);  // sqlite3_open_v2 with a busy timeout, or StoreError naming the file
  sqlite3* db_ = nullptr;
  std::string file_;
};

// A read transaction, held while this object lives: every query sees the file as it was at the
// first one (WAL snapshot isolation), so a reader never sees a cell half-merged by a writer.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db) : db_(db) { db_.exec("BEGIN"); }
  ~ReadSnapshot() { sqlite3_exec(db_.raw(), "COMMIT", nullptr, nullptr, nullptr); }
  ReadSnapshot(const ReadSnapshot&) = delete;

 private:
  Database& db_;
};

}  // namespace longalign::host
