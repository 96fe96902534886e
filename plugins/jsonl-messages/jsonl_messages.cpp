// jsonl-messages: chats from JSONL files in the LongAlign-10k / OpenAI "messages" form or
// ShareGPT's "conversations", multi-turn included, streamed line by line (gzip too). A line that
// is not a usable chat is reported as FILE:LINE: FIELD: PROBLEM, then skipped and counted, or
// fatal, as `on_error` says. Examples come in file order, files in the order `files` names them
// (each glob's matches sorted).
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <memory>

#include "chat_line.h"
#include "text_files.h"

namespace {

using longalign::Error;
using longalign::plugins::ChatFormat;
using longalign::plugins::LineReader;

class JsonlMessages : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("jsonl-messages", "1.0.0",
                             "Chats from JSONL files: LongAlign-10k/OpenAI messages or ShareGPT conversations")
        .param(longalign::Param::list("files", "[]", "JSONL files, directories or globs (.gz read too), in order").path())
        .param(longalign::Param::string("format", "auto", "Line format: auto picks per line by its key")
                   .choices({"auto", "messages", "sharegpt"}))
        .param(longalign::Param::string("on_error", "fail", "A line that is not a usable chat: stop, or skip and count it")
                   .choices({"fail", "skip"}))
        .param(longalign::Param::integer("max_line_bytes", 16 << 20, "Longest line accepted; longer ones are errors")
                   .range(2, 1 << 30))
        .param(longalign::Param::string("source", "", "The examples' source label (empty: a line's own \"source\", else the file's name)"));
  }

  JsonlMessages(const longalign::Params& p, const longalign::Host& host)
      : host_(host),
        on_error_skip_(p.get_string("on_error") == "skip"),
        max_line_(static_cast<size_t>(p.get_int("max_line_bytes"))),
        source_(p.get_string("source")) {
    const std::string f = p.get_string("format");
    format_ = f == "messages" ? ChatFormat::messages : f == "sharegpt" ? ChatFormat::sharegpt : ChatFormat::automatic;
    longalign::Value files = p.at("files");
    for (size_t i = 0; i < files.size(); ++i) {
      std::string pattern = files[i].as_string();
      try {
        for (auto& file : longalign::plugins::expand_inputs(pattern)) files_.push_back(file);
      } catch (const std::exception& e) {
        throw Error(LA_ERR_INVALID_ARGUMENT, "files[" + std::to_string(i) + "]: " + e.what());
      }
    }
    if (files_.empty())
      throw Error(LA_ERR_INVALID_ARGUMENT, "files: name at least one JSONL file, directory or glob");
  }

  void open(uint64_t) override {
    file_ = 0;
    reader_.reset();
    lines_ = examples_ = skipped_ = 0;
  }

  // Reads every file once with a copy (the stream's own position is kept) and counts the usable chats,
  // so asking a sweep for more than the files hold fails at plan time.
  int64_t count() override {
    if (count_ < 0) {
      JsonlMessages scan(*this);
      scan.open(0);
      longalign::Example e;
      int64_t n = 0;
      while (scan.next(e)) ++n;
      count_ = n;
    }
    return count_;
  }

  bool next(longalign::Example& out) override {
    std::string line;
    longalign::plugins::ChatLine chat;
    for (;;) {
      if (!reader_) {
        if (file_ >= files_.size()) return false;
        reader_ = std::make_unique<LineReader>(files_[file_], max_line_);
        file_has_lines_ = false;
      }
      auto status = reader_->next(line);
      if (status == LineReader::Status::end) {
        if (!file_has_lines_) throw Error(LA_ERR_INVALID_ARGUMENT, files_[file_].string() + ": empty file (no JSONL lines)");
        reader_.reset();
        ++file_;
        continue;
      }
      if (status == LineReader::Status::line && line.find_first_not_of(" \t\r") == std::string::npos) continue;
      file_has_lines_ = true;
      ++lines_;
      std::string problem =
          status == LineReader::Status::oversized
              ? "line longer than max_line_bytes (" + std::to_string(max_line_) + ")"
              : longalign::plugins::parse_chat_line(line, format_, chat);
      if (problem.empty()) break;
      const std::string where = files_[file_].string() + ":" + std::to_string(reader_->line_number()) + ": " + problem;
      if (!on_error_skip_) throw Error(LA_ERR_INVALID_ARGUMENT, where + " (on_error = \"skip\" skips such lines)");
      if (skipped_++ < 10 && !counting_) host_.log(LA_LOG_WARN, "skipped " + where);
      if (!counting_) host_.metric("examples_skipped", static_cast<double>(skipped_));
    }
    ++examples_;
    out.messages = std::move(chat.messages);
    out.source = !source_.empty() ? source_ : !chat.source.empty() ? chat.source : files_[file_].filename().string();
    out.task = "chat";
    out.metadata_json = nlohmann::json{{"file", files_[file_].string()}, {"line", reader_->line_number()}}.dump();
    return true;
  }

  std::string provenance() override {
    nlohmann::json files = nlohmann::json::array();
    for (auto& f : files_) files.push_back(f.string());
    return nlohmann::json{{"files", files}, {"lines", lines_}, {"examples", examples_}, {"skipped", skipped_}}.dump();
  }

 private:
  JsonlMessages(const JsonlMessages& o)
      : host_(o.host_), on_error_skip_(o.on_error_skip_), max_line_(o.max_line_), source_(o.source_),
        format_(o.format_), files_(o.files_), counting_(true) {}

  longalign::Host host_;
  bool on_error_skip_;
  size_t max_line_;
  std::string source_;
  ChatFormat format_ = ChatFormat::automatic;
  std::vector<std::filesystem::path> files_;
  size_t file_ = 0;
  std::unique_ptr<LineReader> reader_;
  bool file_has_lines_ = false;
  bool counting_ = false;  // the copy count() reads with: it reports nothing
  int64_t lines_ = 0, examples_ = 0, skipped_ = 0, count_ = -1;
};

}  // namespace

LONGALIGN_PLUGIN(JsonlMessages)
