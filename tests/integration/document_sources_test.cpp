// The sources built on documents of named sources. corpus-tasks: every answer is checked against
// the documents of its own prompt, by rules written here independently of the plugin (whole-word
// counts, line positions, inserted lines). text-corpus: its chunks put back together are the
// documents.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <random>
#include <regex>

#include "plugin/instance.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

// A corpus made here: Markdown notes with headings, C++-like sources, one gzip text, one binary.
void make_corpus(const std::filesystem::path& root) {
  std::mt19937 rng(5);
  auto word = [&] {
    std::string w;
    for (int i = 0, n = 3 + static_cast<int>(rng() % 8); i < n; ++i) w += static_cast<char>('a' + rng() % 26);
    return w;
  };
  std::filesystem::create_directories(root / "notes");
  std::filesystem::create_directories(root / "src");
  for (int d = 0; d < 6; ++d) {
    std::ofstream md(root / "notes" / ("note" + std::to_string(d) + ".md"));
    for (int s = 0; s < 12; ++s) {
      md << "## Section " << word() << "\n\n";
      for (int l = 0; l < 8; ++l) {
        for (int w = 0; w < 10; ++w) md << word() << ' ';
        md << "\n";
      }
      md << "\n";
    }
    std::ofstream cc(root / "src" / ("unit" + std::to_string(d) + ".cpp"));
    for (int f = 0; f < 40; ++f) {
      const std::string arg = word();
      cc << "int " << word() << "_" << f << "(int " << arg << ") {\n  return " << arg << " + " << f << ";\n}\n\n";
    }
  }
  gzFile gz = gzopen((root / "notes" / "packed.txt.gz").c_str(), "wb");
  for (int l = 0; l < 200; ++l) gzputs(gz, (word() + " " + word() + " " + word() + "\n").c_str());
  gzclose(gz);
  std::ofstream(root / "src" / "blob.bin", std::ios::binary) << std::string("\0\1\2binary", 9);
}

size_t whole_word_count(const std::string& text, const std::string& w) {
  const std::regex whole("(^|[^A-Za-z0-9_])" + w + "(?=[^A-Za-z0-9_]|$)");
  return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), whole), std::sregex_iterator()));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  for (;;) {
    size_t nl = text.find('\n', at);
    out.push_back(text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) return out;
    at = nl + 1;
  }
}

// The index of the line equal to `line`, which must occur once.
size_t line_index(const std::vector<std::string>& lines, const std::string& line) {
  size_t found = lines.size(), n = 0;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] == line) found = i, ++n;
  EXPECT_EQ(n, 1u) << "line '" << line << "'";
  return found;
}

struct Source {
  test::ScratchDir dir{"corpus"};
  nlohmann::json params;
  explicit Source(const nlohmann::json& extra) {
    make_corpus(dir.path);
    params = {{"sources", {{"notes", (dir.path / "notes").string()}, {"code", {(dir.path / "src/*.cpp").string(), (dir.path / "src/*.bin").string()}}}},
              {"count", 350}, {"min_chars", 1500}, {"max_chars", 6000}};
    params.update(extra);
  }
};

TEST(CorpusTasks, EveryAnswerHoldsInItsDocuments) {
  Source s(nlohmann::json{{"answer_chars", 120}});
  DataSourceInstance src(PluginLibrary::load(test::kBundled / "corpus-tasks.so"), s.params);
  src.open(2);
  std::map<std::string, int> tasks, sources;
  Example e;
  while (src.next(e)) {
    ++tasks[e.task];
    ++sources[e.source];
    const std::string& user = e.messages.at(0).content;
    const std::string& answer = e.messages.at(1).content;
    const size_t split = user.rfind("\n\n");
    const std::string docs = user.substr(0, split);
    const auto lines = lines_of(docs);
    auto meta = nlohmann::json::parse(e.metadata_json);
    EXPECT_EQ(meta["answer"], answer);
    EXPECT_GE(docs.size(), 1000u);
    EXPECT_LE(docs.size(), 6500u);
    SCOPED_TRACE(e.task + ": " + answer);
    if (e.task == "extract") {
      const std::string w = meta["word"];
      EXPECT_EQ(whole_word_count(docs, w), 1u);
      auto want = lines_of(answer);
      size_t at = line_index(lines, want[0]);
      EXPECT_EQ(whole_word_count(want[0], w), 1u);
      for (size_t i = 1; i < want.size(); ++i) EXPECT_EQ(lines.at(at + i), want[i]);
      EXPECT_EQ(want.size(), meta["lines"].get<size_t>());
    } else if (e.task == "which-document") {
      const std::string w = meta["word"];
      EXPECT_EQ(whole_word_count(docs, w), 1u);
      const size_t k = docs.rfind("\nDocument ", docs.find(w));  // the section holding the word
      const size_t start = k == std::string::npos ? 0 : k + 1;
      EXPECT_EQ(docs.substr(start, docs.find('\n', start) - start), answer);
    } else if (e.task == "passkey") {
      line_index(lines, "The pass key is " + answer + ". Remember it. " + answer + " is the pass key.");
      EXPECT_EQ(whole_word_count(docs, answer), 2u);
    } else if (e.task == "kv-lookup") {
      for (auto& l : lines_of(answer)) {
        auto colon = l.find(": ");
        std::string key = colon == std::string::npos ? "" : l.substr(0, colon);
        if (key.empty()) {  // one record asked: the key is in the question
          key = user.substr(user.rfind("record ") + 7, 8);
          line_index(lines, "Record " + key + ": " + l);
        } else {
          line_index(lines, "Record " + l);
        }
      }
    } else if (e.task == "count") {
      EXPECT_EQ(std::to_string(whole_word_count(docs, meta["word"])), answer);
    } else if (e.task == "order") {
      std::map<char, size_t> at;
      const std::string q = user.substr(split);
      std::smatch m;
      for (auto it = q.cbegin(); std::regex_search(it, q.cend(), m, std::regex("\n\\(([A-E])\\) ([^\n]*)")); it = m.suffix().first)
        at[m[1].str()[0]] = line_index(lines, m[2].str());
      std::vector<std::pair<size_t, char>> by_line;
      for (auto [c, i] : at) by_line.push_back({i, c});
      std::sort(by_line.begin(), by_line.end());
      std::string want;
      for (auto [i, c] : by_line) want += (want.empty() ? "" : ", ") + std::string(1, c);
      EXPECT_GE(at.size(), 3u);
      EXPECT_EQ(answer, want);
    } else if (e.task == "headings") {
      std::string want;
      for (auto& l : lines)
        if (std::regex_match(l, std::regex("#{1,6} .*"))) want += (want.empty() ? "" : "\n") + l;
      EXPECT_EQ(answer, want);
    } else {
      ADD_FAILURE() << "unknown task " << e.task;
    }
  }
  EXPECT_EQ(tasks.size(), 7u);
  for (auto& [t, n] : tasks) EXPECT_GE(n, 20) << t;
  EXPECT_EQ(sources.size(), 2u);
  auto prov = src.provenance();
  EXPECT_EQ(prov["files"].size(), 13u);  // 6 notes, 1 gzip, 6 sources; the binary skipped
  EXPECT_EQ(prov["skipped_files"].size(), 1u);
}

TEST(CorpusTasks, DeterministicForASeedAndAskingOnlyWhatItIsTold) {
  Source s(nlohmann::json{{"tasks", {"passkey", "count"}}, {"count", 40}});
  auto lib = PluginLibrary::load(test::kBundled / "corpus-tasks.so");
  DataSourceInstance a(lib, s.params), b(lib, s.params);
  auto stream = [](DataSourceInstance& src, uint64_t seed) {
    src.open(seed);
    std::vector<std::string> out;
    Example e;
    while (src.next(e)) {
      // A task with nothing to ask in its documents falls back to extract, and says so.
      auto meta = nlohmann::json::parse(e.metadata_json);
      const std::string asked = meta.contains("requested") ? meta["requested"].get<std::string>() : e.task;
      EXPECT_TRUE(asked == "passkey" || asked == "count") << asked;
      out.push_back(e.messages[0].content + e.messages[1].content);
    }
    return out;
  };
  EXPECT_EQ(stream(a, 1), stream(b, 1));
  EXPECT_NE(stream(a, 1), stream(a, 2));
  EXPECT_EQ(stream(a, 1).size(), 40u);
}

TEST(CorpusTasks, LongerAnswersWhenAsked) {
  auto mean_answer = [](int answer_chars) {
    Source s(nlohmann::json{{"tasks", {"extract"}}, {"count", 60}, {"answer_chars", answer_chars}});
    DataSourceInstance src(PluginLibrary::load(test::kBundled / "corpus-tasks.so"), s.params);
    src.open(0);
    Example e;
    double total = 0;
    while (src.next(e)) total += static_cast<double>(e.messages[1].content.size());
    return total / 60;
  };
  EXPECT_GT(mean_answer(600), 4 * mean_answer(0));
}

TEST(CorpusTasks, BadSourcesAreNamed) {
  auto lib = PluginLibrary::load(test::kBundled / "corpus-tasks.so");
  auto error = [&](const nlohmann::json& p) {
    try {
      DataSourceInstance src(lib, p);
      src.open(0);
      Example e;
      src.next(e);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error({}).find("sources: name at least one source"), std::string::npos);
  EXPECT_NE(error({{"sources", {{"web", "/no/such/dir/*.html"}}}}).find("source 'web': '/no/such/dir/*.html' matches no file"),
            std::string::npos);
  EXPECT_NE(error({{"sources", {{"web", 3}}}}).find("sources.web: expected a pattern or a list of patterns"), std::string::npos);
  EXPECT_NE(error({{"sources", {{"d", "/tmp"}}}, {"tasks", {"poetry"}}}).find("tasks[0]: unknown task 'poetry'"), std::string::npos);
}

TEST(TextCorpus, ChunksPutBackTogetherAreTheDocuments) {
  test::ScratchDir dir("text-corpus");
  make_corpus(dir.path);
  DataSourceInstance src(PluginLibrary::load(test::kBundled / "text-corpus.so"),
                         {{"sources", {{"notes", (dir.path / "notes").string()}}}, {"chunk_chars", 700}, {"min_chunk_chars", 1}});
  src.open(3);
  std::map<std::string, std::map<size_t, std::string>> pieces;  // file -> offset -> text
  Example e;
  size_t n = 0;
  while (src.next(e)) {
    ++n;
    EXPECT_TRUE(e.messages.empty());
    EXPECT_LE(e.text.size(), 700u);
    EXPECT_EQ(e.source, "notes");
    auto meta = nlohmann::json::parse(e.metadata_json);
    pieces[meta["file"]][meta["offset"]] = e.text;
  }
  EXPECT_EQ(static_cast<int64_t>(n), src.count().value());
  ASSERT_EQ(pieces.size(), 7u);  // 6 notes and the gzip one
  for (auto& [file, parts] : pieces) {
    std::string joined;
    for (auto& [offset, text] : parts) {
      EXPECT_EQ(offset, joined.size()) << file;
      joined += text;
    }
    if (file.size() > 3 && file.substr(file.size() - 3) == ".md") {
      std::ifstream in(file);
      EXPECT_EQ(joined, std::string(std::istreambuf_iterator<char>(in), {})) << file;
    }
  }
}

}  // namespace
}  // namespace longalign::host
