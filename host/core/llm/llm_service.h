// The LLM client as the plugins' host service (la_llm_client): what self-instruct and the judge
// call through the SDK.
#pragma once
#include <longalign/plugin.h>

#include <memory>
#include <string>

#include "llm/llm_client.h"

namespace longalign::host {

class LlmService {
 public:
  explicit LlmService(LlmClient& client);
  LlmService(const LlmService&) = delete;
  LlmService& operator=(const LlmService&) = delete;
  const la_llm_client* table() const { return &table_; }

 private:
  LlmClient& client_;
  la_llm_client table_{};
  std::string reply_;  // valid until the next call, as the ABI says
};

// The LLM that plugins reach (a cell's sources and judges, `data export`'s source): a client and
// its service when the section names an endpoint, else none (table() is nullptr, and a plugin
// that asks is told the service is unavailable).
class LlmConnection {
 public:
  explicit LlmConnection(const LlmSection& section);
  const la_llm_client* table() const { return service_ ? service_->table() : nullptr; }
  const LlmClient* client() const { return client_.get(); }

 private:
  std::unique_ptr<LlmClient> client_;
  std::unique_ptr<LlmService> service_;
};

}  // namespace longalign::host
