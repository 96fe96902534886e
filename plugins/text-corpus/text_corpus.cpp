// text-corpus: plain text for pretraining or context-extending a base model. Every document of
// the named sources is cut into chunks of about `chunk_chars` characters (at a line end where
// one is near, never inside a UTF-8 sequence); each chunk is one example with no chat template,
// every token a target. The seed shuffles the chunks' order.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include "corpus.h"

namespace {

struct Chunk {
  size_t doc, offset, size;
};

// Pieces of text of at most `max` bytes, each ending at a newline in its last quarter where
// there is one; a tail shorter than `min` is dropped.
std::vector<std::pair<size_t, size_t>> chunk(const std::string& text, size_t max, size_t min) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.size(), at + max);
    if (end < text.size()) {
      size_t nl = text.rfind('\n', end - 1);
      if (nl != std::string::npos && nl >= at + max * 3 / 4) end = nl + 1;
      while (end > at + 1 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    }
    if (end - at >= min) out.push_back({at, end - at});
    at = end;
  }
  return out;
}

class TextCorpus : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("text-corpus", "1.0.0", "Plain-text chunks of documents of named sources, for pretraining")
        .param(longalign::plugins::sources_param())
        .param(longalign::Param::integer("chunk_chars", 4096, "Characters per chunk, at most").min(16))
        .param(longalign::Param::integer("min_chunk_chars", 64, "A document's tail shorter than this is dropped").min(1))
        .param(longalign::Param::integer("max_file_bytes", 64 << 20, "Larger files are skipped").min(1));
  }

  TextCorpus(const longalign::Params& p, const longalign::Host&)
      : corpus_(p),
        chunk_chars_(static_cast<size_t>(p.get_int("chunk_chars"))),
        min_chunk_chars_(static_cast<size_t>(p.get_int("min_chunk_chars"))) {}

  void open(uint64_t seed) override {
    if (chunks_.empty()) {
      const auto& docs = corpus_.documents();
      for (size_t d = 0; d < docs.size(); ++d)
        for (auto [offset, size] : chunk(docs[d].text, chunk_chars_, min_chunk_chars_)) chunks_.push_back({d, offset, size});
    }
    order_.resize(chunks_.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    longalign::Rng rng(seed);
    longalign::shuffle(order_, rng);
    next_ = 0;
  }

  int64_t count() override { return static_cast<int64_t>(chunks_.size()); }

  bool next(longalign::Example& out) override {
    if (next_ >= order_.size()) return false;
    const Chunk& c = chunks_[order_[next_++]];
    const auto& doc = corpus_.documents()[c.doc];
    out.text = doc.text.substr(c.offset, c.size);
    out.source = doc.source;
    out.task = "text";
    out.metadata_json = nlohmann::json{{"file", doc.name}, {"offset", c.offset}}.dump();
    return true;
  }

  std::string provenance() override { return corpus_.provenance_json(); }

 private:
  longalign::plugins::Corpus corpus_;
  size_t chunk_chars_, min_chunk_chars_;
  std::vector<Chunk> chunks_;
  std::vector<size_t> order_;
  size_t next_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(TextCorpus)
