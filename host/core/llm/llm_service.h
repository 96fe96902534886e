// The LLM client as the plugins' host service (la_llm_client): what self-instruct and the judge
// call through the SDK.
#pragma once
#include <longalign/plugin.h>

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

}  // namespace longalign::host
