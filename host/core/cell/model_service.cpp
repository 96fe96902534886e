#include "cell/model_service.h"

#include "util/utf8.h"

#include <longalign/plugin.hpp>

namespace longalign::host {
namespace {

// Runs f, mapping an exception to a status (bad ids and prompts are the caller's).
template <typename F>
int32_t answer(la_error* e, F&& f) {
  try {
    f();
    return LA_OK;
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
  table_.score = [](void* ctx, const la_score_request* req, size_t n, la_score_result* out, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      for (size_t i = 0; i < n; ++i) {
        if (req[i].n_context == 0) throw std::invalid_argument("score request " + std::to_string(i) + " has no context");
        std::vector<int64_t> ids = widen(req[i].context, req[i].n_context);
        ids.insert(ids.end(), req[i].continuation, req[i].continuation + req[i].n_continuation);
        auto s = self->model_.score(ids, static_cast<int64_t>(req[i].n_context));
        out[i].logprob = s.logprob;
        out[i].greedy = s.greedy;
        out[i].n_tokens = static_cast<uint32_t>(s.tokens);
      }
    });
  };
  table_.generate = [](void* ctx, const la_generate_request* req, size_t n, la_generation* out, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      self->generated_.assign(n, {});
      self->generated_text_.assign(n, {});
      for (size_t i = 0; i < n; ++i) {
        engine::Model::Sampling s;
        s.max_new_tokens = req[i].max_new_tokens;
        s.temperature = req[i].temperature;
        s.seed = req[i].seed;
        s.stop_token = self->tok_.eos();
        auto ids = self->model_.generate(widen(req[i].prompt, req[i].n_prompt), s);
        if (!ids.empty() && ids.back() == static_cast<int64_t>(self->tok_.eos())) ids.pop_back();
        self->generated_[i].assign(ids.begin(), ids.end());
        self->generated_text_[i] = repaired_utf8(self->tok_.decode(self->generated_[i]));
        out[i].tokens = self->generated_[i].data();
        out[i].n_tokens = self->generated_[i].size();
        out[i].text = str(self->generated_text_[i]);
      }
    });
  };
  table_.chat_prompt = [](void* ctx, const la_message* m, size_t n, const uint32_t** ids, size_t* n_ids, la_error* e) {
    auto* self = static_cast<ModelService*>(ctx);
    return answer(e, [&] {
      std::vector<Message> messages;
      for (size_t i = 0; i < n; ++i) messages.push_back({std::string(view(m[i].role)), std::string(view(m[i].content))});
      self->ids_ = render_prompt(self->tmpl_, messages, self->tok_);
      *ids = self->ids_.data();
      *n_ids = self->ids_.size();
    });
  };
}

}  // namespace longalign::host
