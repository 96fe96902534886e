#include "llm/llm_service.h"

#include <longalign/plugin.hpp>

namespace longalign::host {

LlmService::LlmService(LlmClient& client) : client_(client) {
  table_.struct_size = sizeof table_;
  table_.ctx = this;
  table_.chat = [](void* ctx, const la_chat_request* r, la_str* reply, la_error* e) -> int32_t {
    auto* self = static_cast<LlmService*>(ctx);
    if (!r || !reply || (r->n_messages && !r->messages)) {
      set_error(e, LA_ERR_INVALID_ARGUMENT, "chat: request or reply missing");
      return LA_ERR_INVALID_ARGUMENT;
    }
    try {
      LlmRequest req;
      req.model = std::string(view(r->model));
      for (size_t i = 0; i < r->n_messages; ++i)
        req.messages.push_back({std::string(view(r->messages[i].role)), std::string(view(r->messages[i].content))});
      req.temperature = r->temperature;
      req.max_tokens = r->max_tokens;
      req.seed = r->seed;
      self->reply_ = self->client_.chat(req);
      *reply = str(self->reply_);
      return LA_OK;
    } catch (const std::exception& ex) {
      set_error(e, LA_ERR_IO, ex.what());
      return LA_ERR_IO;
    }
  };
}

LlmConnection::LlmConnection(const LlmSection& section) {
  if (section.url.empty()) return;
  client_ = std::make_unique<LlmClient>(llm_config(section));
  service_ = std::make_unique<LlmService>(*client_);
}

}  // namespace longalign::host
