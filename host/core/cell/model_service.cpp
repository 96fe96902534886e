#include "cell/model_service.h"

#include <longalign/utf8.hpp>

#include <longalign/plugin.hpp>

namespace longalign::host {
namespace {

// Runs f, mapping an exception to a status (bad ids and prompts are the caller's).
template <typename F>
int32_t answer(la_error* e, F&& f) {
  try {
    f();
    return LA_OK;
  } catch (const Error& x) {  // the SDK's, e.g. an array of requests at a bad stride
    set_error(e, x.code(), x.what());
    return x.code();
  } catch (const std::invalid_argument& x) {
    set_error(e, LA_ERR_INVALID_ARGUMENT, x.what());
    return LA_ERR_INVALID_ARGUMENT;
  } catch (const std::exception& x) {
    set_error(e, LA_ERR_INTERNAL, x.what());
    return LA_ERR_INTERNAL;
  }
}

std::vector<int64_t> widen(const uint32_t* ids, size_t n) { return std::vector<int64_t>(ids, ids + n); }

}  // namespace

ModelService::ModelService(const ServedModel& model, const Tokenizer& tok, const ChatTemplate& tmpl, uint32_t context_size)
    : model_(model), tok_(tok), tmpl_(tmpl), context_(context_size) {
  table_.struct_size = sizeof table_;
  table_.ctx = this;
  table_.context_size = [](void* ctx, uint32_t* n, la_error*) {
    *n = static_cast<ModelService*>(ctx)->context_;
    return int32_t{LA_OK};
  };
  table_.tokenize = [](void* ctx, la_str text, const uint32_t** ids, size_t* n, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      self->ids_.clear();
      self->tok_.encode(view(text), self->ids_);
      *ids = self->ids_.data();
      *n = self->ids_.size();
    });
  };
  table_.detokenize = [](void* ctx, const uint32_t* ids, size_t n, la_str* text, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      for (size_t i = 0; i < n; ++i)
        if (ids[i] >= self->tok_.vocab_size())
          throw std::invalid_argument("token id " + std::to_string(ids[i]) + " is outside the vocabulary");
      self->text_ = repaired_utf8(self->tok_.decode(std::vector<uint32_t>(ids, ids + n)));
      *text = str(self->text_);
    });
  };
  table_.score = [](void* ctx, const la_score_request* requests, size_t n, la_score_result* results, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      SizedArray<const la_score_request> req(requests, n, "score requests");
      SizedArray<la_score_result> out(results, n, "score results");
      for (size_t i = 0; i < n; ++i) {
        const la_score_request r = req.get(i);
        if (r.n_context == 0) throw std::invalid_argument("score request " + std::to_string(i) + " has no context");
        std::vector<int64_t> ids = widen(r.context, r.n_context);
        ids.insert(ids.end(), r.continuation, r.continuation + r.n_continuation);
        auto s = self->model_.score(ids, static_cast<int64_t>(r.n_context));
        out.set(i, {0, s.logprob, s.greedy, static_cast<uint32_t>(s.tokens)});
      }
    });
  };
  table_.generate = [](void* ctx, const la_generate_request* requests, size_t n, la_generation* results, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      SizedArray<const la_generate_request> req(requests, n, "generate requests");
      SizedArray<la_generation> out(results, n, "generations");
      self->generated_.assign(n, {});
      self->generated_text_.assign(n, {});
      for (size_t i = 0; i < n; ++i) {
        const la_generate_request r = req.get(i);
        engine::Model::Sampling s;
        s.max_new_tokens = r.max_new_tokens;
        s.temperature = r.temperature;
        s.seed = r.seed;
        s.stop_token = self->tmpl_.stop_token(self->tok_);
        auto ids = self->model_.generate(widen(r.prompt, r.n_prompt), s);
        if (!ids.empty() && ids.back() == static_cast<int64_t>(s.stop_token)) ids.pop_back();
        self->generated_[i].assign(ids.begin(), ids.end());
        self->generated_text_[i] = repaired_utf8(self->tok_.decode(self->generated_[i]));
        out.set(i, {0, self->generated_[i].data(), self->generated_[i].size(), str(self->generated_text_[i])});
      }
    });
  };
  table_.chat_prompt = [](void* ctx, const la_message* m, size_t n, const uint32_t** ids, size_t* n_ids, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      std::vector<Message> messages;
      for (size_t i = 0; i < n; ++i) messages.push_back({std::string(view(m[i].role)), std::string(view(m[i].content))});
      self->ids_ = self->tmpl_.prompt(messages, self->tok_);
      *ids = self->ids_.data();
      *n_ids = self->ids_.size();
    });
  };
}

}  // namespace longalign::host
