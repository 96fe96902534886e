#include "plugin/host_services.h"

#include <longalign/plugin.hpp>

#include <cstdio>

namespace longalign::host {
namespace {

constexpr const char* kNoLlm =
    "the LLM client is not available in this longalign host: no OpenAI-compatible endpoint is configured";
constexpr const char* kNoModel =
    "the model service is not available here: it is offered to evaluators while a cell evaluates a trained model";

int32_t no_llm(void*, const la_chat_request*, la_str*, la_error* e) {
  set_error(e, LA_ERR_UNAVAILABLE, kNoLlm);
  return LA_ERR_UNAVAILABLE;
}
int32_t no_context(void*, uint32_t*, la_error* e) {
  set_error(e, LA_ERR_UNAVAILABLE, kNoModel);
  return LA_ERR_UNAVAILABLE;
}
int32_t no_tokenize(void*, la_str, const uint32_t**, size_t*, la_error* e) { return no_context(nullptr, nullptr, e); }
int32_t no_detokenize(void*, const uint32_t*, size_t, la_str*, la_error* e) { return no_context(nullptr, nullptr, e); }
int32_t no_score(void*, const la_score_request*, size_t, la_score_result*, la_error* e) {
  return no_context(nullptr, nullptr, e);
}
int32_t no_generate(void*, const la_generate_request*, size_t, la_generation*, la_error* e) {
  return no_context(nullptr, nullptr, e);
}
int32_t no_chat_prompt(void*, const la_message*, size_t, const uint32_t**, size_t*, la_error* e) {
  return no_context(nullptr, nullptr, e);
}

}  // namespace

const la_llm_client& HostServices::unavailable_llm() {
  static const la_llm_client c{sizeof(la_llm_client), nullptr, &no_llm};
  return c;
}

const la_model_service& HostServices::unavailable_model() {
  static const la_model_service m{sizeof(la_model_service), nullptr, &no_context, &no_tokenize,
                                  &no_detokenize, &no_score, &no_generate, &no_chat_prompt};
  return m;
}

HostServices::HostServices(std::string plugin_name) : plugin_(std::move(plugin_name)) {
  log_ = [this](la_log_level level, std::string_view msg) {
    static const char* names[] = {"debug", "info", "warning", "error"};
    std::fprintf(stderr, "[%s] %s: %.*s\n", plugin_.c_str(), names[level <= LA_LOG_ERROR ? level : LA_LOG_ERROR],
                 static_cast<int>(msg.size()), msg.data());
  };
  table_.struct_size = sizeof table_;
  table_.api_version = LA_API_VERSION;
  table_.ctx = this;
  table_.log = [](void* ctx, int32_t level, la_str message) {
    auto* self = static_cast<HostServices*>(ctx);
    if (self->log_) self->log_(static_cast<la_log_level>(level < 0 ? 0 : level), view(message));
  };
  table_.metric = [](void* ctx, la_str name, double value, const la_tag* tags, size_t n) {
    auto* self = static_cast<HostServices*>(ctx);
    if (!self->metric_) return;
    Tags t;
    for (size_t i = 0; i < n; ++i) t.emplace_back(view(tags[i].key), view(tags[i].value));
    self->metric_(view(name), value, t);
  };
  table_.llm = &unavailable_llm();
  table_.model = &unavailable_model();
}

}  // namespace longalign::host
