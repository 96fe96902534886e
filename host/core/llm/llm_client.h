// An OpenAI-compatible chat-completions client, for the data sources that ask an LLM
// (self-instruct) and for the evaluators' judge. It retries what can succeed on a second try
// (429, honouring Retry-After; 5xx; timeouts; cut or malformed replies) with exponential backoff
// and jitter, keeps to a request rate, and caches replies on disk by the request's hash, so a
// rerun costs nothing. The API key is read from an environment variable at each request and is
// never written anywhere: not to the cache, the logs or the results.
#pragma once
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace longalign::host {

// The [llm] section of a cell's config (sweep/config_schema.cpp): which endpoint the cell's
// plugins reach, and how.
struct LlmSection {
  std::string url, model, api_key_env;  // url empty: no endpoint
  double timeout_s = 120, requests_per_second = 0;
  int64_t max_retries = 5;
  bool cache = true;
};

struct LlmConfig {
  std::string url;          // the API base, e.g. http://127.0.0.1:8000/v1 (POST {url}/chat/completions)
  std::string model;        // the default model
  std::string api_key_env;  // the variable holding the key; empty: no Authorization header
  double timeout_s = 120;
  int max_retries = 5;
  double requests_per_second = 0;  // 0: no limit
  double backoff_s = 1.0;          // the first retry's wait, doubled each time
  double max_backoff_s = 60;
  std::optional<std::filesystem::path> cache_dir;  // none: every request goes out
};

struct LlmMessage {
  std::string role, content;
};

struct LlmRequest {
  std::string model;  // empty: the config's
  std::vector<LlmMessage> messages;
  double temperature = 0;
  int max_tokens = 0;  // 0: the endpoint's default
  uint64_t seed = 0;
};

class LlmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LlmStats {
  int64_t requests = 0;    // HTTP requests sent, retries included
  int64_t retries = 0;
  int64_t cache_hits = 0;
  int64_t replies = 0;     // chats answered (from the endpoint or the cache)
};

// The client's config for a cell's [llm] section; replies are cached under the longalign cache
// dir when llm.cache is on.
LlmConfig llm_config(const LlmSection& section);

class LlmClient {
 public:
  explicit LlmClient(LlmConfig config);  // throws LlmError for a config that cannot work
  // The assistant's reply; throws LlmError naming the last cause once the retries are spent.
  std::string chat(const LlmRequest& request);
  LlmStats stats() const;
  const LlmConfig& config() const { return config_; }
  // The request body this client sends, and the cache key it files the reply under.
  nlohmann::json body(const LlmRequest& request) const;

 private:
  std::string post(const std::string& body, std::string* retry_reason, double* retry_after_s);
  void pace();
  LlmConfig config_;
  mutable std::mutex mu_;
  LlmStats stats_;
  std::chrono::steady_clock::time_point next_slot_{};
  uint64_t jitter_state_;
};

}  // namespace longalign::host
