#include "check/reference_model.h"

#include <longalign/plugin.hpp>

#include <cmath>
#include <utility>

namespace longalign::host {

ReferenceModel::ReferenceModel(uint32_t context_size, std::string reply) : context_(context_size), reply_(std::move(reply)) {
  service_.struct_size = sizeof service_;
  service_.ctx = this;
  service_.context_size = [](void* ctx, uint32_t* n, la_error*) {
    *n = static_cast<ReferenceModel*>(ctx)->context_;
    return int32_t{LA_OK};
  };
  service_.tokenize = [](void* ctx, la_str text, const uint32_t** ids, size_t* n, la_error*) {
    auto* self = static_cast<ReferenceModel*>(ctx);
    self->ids_.assign(reinterpret_cast<const unsigned char*>(text.data),
                      reinterpret_cast<const unsigned char*>(text.data) + text.size);
    *ids = self->ids_.data();
    *n = self->ids_.size();
    return int32_t{LA_OK};
  };
  service_.detokenize = [](void* ctx, const uint32_t* ids, size_t n, la_str* text, la_error* e) {
    auto* self = static_cast<ReferenceModel*>(ctx);
    self->text_.clear();
    for (size_t i = 0; i < n; ++i) {
      if (ids[i] >= kVocab) {
        set_error(e, LA_ERR_INVALID_ARGUMENT, "token id " + std::to_string(ids[i]) + " is outside the vocabulary");
        return int32_t{LA_ERR_INVALID_ARGUMENT};
      }
      self->text_ += static_cast<char>(ids[i]);
    }
    *text = str(self->text_);
    return int32_t{LA_OK};
  };
  service_.score = [](void*, const la_score_request* requests, size_t n, la_score_result* results, la_error* e) {
    return detail::guarded(e, [&] {
      SizedArray<const la_score_request> req(requests, n, "score requests");
      SizedArray<la_score_result> out(results, n, "score results");
      for (size_t i = 0; i < n; ++i) {
        const size_t tokens = req.get(i).n_continuation;
        // All tokens tie, so none is the unique argmax: greedy is 0.
        out.set(i, {0, -static_cast<double>(tokens) * std::log(static_cast<double>(kVocab)), 0, static_cast<uint32_t>(tokens)});
      }
      return int32_t{LA_OK};
    });
  };
  service_.generate = [](void* ctx, const la_generate_request* requests, size_t n, la_generation* results, la_error* e) {
    auto* self = static_cast<ReferenceModel*>(ctx);
    return detail::guarded(e, [&] {
      SizedArray<const la_generate_request> req(requests, n, "generate requests");
      SizedArray<la_generation> out(results, n, "generations");
      self->generated_.assign(n, {});
      self->generated_text_.assign(n, {});
      for (size_t i = 0; i < n; ++i) {
        const la_generate_request r = req.get(i);
        if (self->reply_.empty()) {
          const uint32_t tok = r.n_prompt ? r.prompt[r.n_prompt - 1] : 0;
          self->generated_[i].assign(r.max_new_tokens, tok);
          self->generated_text_[i].assign(r.max_new_tokens, static_cast<char>(tok));
        } else {
          self->generated_text_[i] = self->reply_.substr(0, r.max_new_tokens);
          self->generated_[i].assign(self->generated_text_[i].begin(), self->generated_text_[i].end());
          for (auto& id : self->generated_[i]) id &= 0xFF;
        }
        out.set(i, {0, self->generated_[i].data(), self->generated_[i].size(), str(self->generated_text_[i])});
      }
      return int32_t{LA_OK};
    });
  };
  // "user: {content}\n" per message, then "assistant: ", as bytes.
  service_.chat_prompt = [](void* ctx, const la_message* m, size_t n, const uint32_t** ids, size_t* n_ids, la_error*) {
    auto* self = static_cast<ReferenceModel*>(ctx);
    std::string text;
    for (size_t i = 0; i < n; ++i) text += std::string(view(m[i].role)) + ": " + std::string(view(m[i].content)) + "\n";
    text += "assistant: ";
    self->ids_.assign(text.begin(), text.end());
    for (auto& id : self->ids_) id &= 0xFF;
    *ids = self->ids_.data();
    *n_ids = self->ids_.size();
    return int32_t{LA_OK};
  };
}

}  // namespace longalign::host
