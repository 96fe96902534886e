#include "llm/llm_client.h"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "util/atomic_file.h"
#include "util/cache_dir.h"
#include "util/sha256.h"

namespace longalign::host {
namespace {

using Clock = std::chrono::steady_clock;

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t header(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "retry-after") *static_cast<std::string*>(out) = line.substr(colon + 1);
  }
  return size * n;
}

// The reply's text, or "" with `why` set when the body is not a chat completion.
std::string reply_text(const std::string& body, std::string* why) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    *why = "the reply is not JSON (" + std::to_string(body.size()) + " bytes)";
    return "";
  }
  const nlohmann::json* content = nullptr;
  if (j.contains("choices") && j["choices"].is_array() && !j["choices"].empty() && j["choices"][0].is_object() &&
      j["choices"][0].contains("message") && j["choices"][0]["message"].is_object())
    if (auto it = j["choices"][0]["message"].find("content"); it != j["choices"][0]["message"].end()) content = &*it;
  if (!content || !content->is_string()) {
    *why = "the reply has no choices[0].message.content string";
    return "";
  }
  return content->get<std::string>();
}

}  // namespace

LlmConfig llm_config(const LlmSection& s) {
  LlmConfig c;
  c.url = s.url;
  c.model = s.model;
  c.api_key_env = s.api_key_env;
  c.timeout_s = s.timeout_s;
  c.max_retries = static_cast<int>(s.max_retries);
  c.requests_per_second = s.requests_per_second;
  if (s.cache)
    if (auto dir = cache_dir()) c.cache_dir = *dir / "llm";
  return c;
}

LlmClient::LlmClient(LlmConfig config) : config_(std::move(config)) {
  static CurlGlobal init;
  if (config_.url.empty()) throw LlmError("llm.url: the endpoint is not set");
  if (config_.url.rfind("http://", 0) != 0 && config_.url.rfind("https://", 0) != 0)
    throw LlmError("llm.url: '" + config_.url + "' is not an http(s) URL");
  while (!config_.url.empty() && config_.url.back() == '/') config_.url.pop_back();
  jitter_state_ = static_cast<uint64_t>(Clock::now().time_since_epoch().count()) | 1;
}

LlmStats LlmClient::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

nlohmann::json LlmClient::body(const LlmRequest& r) const {
  nlohmann::json messages = nlohmann::json::array();
  for (auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  nlohmann::json b = {{"model", r.model.empty() ? config_.model : r.model},
                      {"messages", messages},
                      {"temperature", r.temperature},
                      {"seed", r.seed}};
  if (r.max_tokens > 0) b["max_tokens"] = r.max_tokens;
  return b;
}

void LlmClient::pace() {
  if (config_.requests_per_second <= 0) return;
  Clock::time_point at;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    at = std::max(now, next_slot_);
    next_slot_ = at + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / config_.requests_per_second));
  }
  std::this_thread::sleep_until(at);
}

std::string LlmClient::post(const std::string& body, std::string* retry_reason, double* retry_after_s) {
  pace();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.requests;
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw LlmError("libcurl could not start a request");
  std::string response, retry_after, auth;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!config_.api_key_env.empty()) {
    const char* key = std::getenv(config_.api_key_env.c_str());
    if (!key || !*key) {
      curl_slist_free_all(headers);
      throw LlmError("llm.api_key_env: the environment variable " + config_.api_key_env + " is not set");
    }
    auth = std::string("Authorization: Bearer ") + key;
    headers = curl_slist_append(headers, auth.c_str());
  }
  const std::string url = config_.url + "/chat/completions";
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &retry_after);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_s * 1000));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  auth.assign(auth.size(), '\0');
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  *retry_after_s = -1;
  if (rc != CURLE_OK) {
    // Timeouts, refused connections and bodies cut short (PARTIAL_FILE) may succeed next time.
    *retry_reason = std::string("request failed: ") + curl_easy_strerror(rc);
    return "";
  }
  if (status == 429 || status >= 500) {
    *retry_reason = "HTTP " + std::to_string(status) + (response.empty() ? "" : ": " + response.substr(0, 200));
    if (!retry_after.empty()) *retry_after_s = std::atof(retry_after.c_str());
    return "";
  }
  if (status != 200)  // 4xx but 429: the request itself is wrong; retrying cannot help
    throw LlmError("HTTP " + std::to_string(status) + " from " + url + ": " + response.substr(0, 500));
  std::string why;
  std::string text = reply_text(response, &why);
  if (!why.empty()) *retry_reason = why;
  return text;
}

std::string LlmClient::chat(const LlmRequest& request) {
  const std::string body = this->body(request).dump();
  std::optional<std::filesystem::path> cached;
  if (config_.cache_dir) {
    cached = *config_.cache_dir / (sha256_hex(config_.url + "\n" + body) + ".json");
    std::error_code ec;
    if (std::filesystem::exists(*cached, ec)) {
      auto j = nlohmann::json::parse(std::ifstream(*cached), nullptr, false);
      if (!j.is_discarded() && j.contains("reply") && j["reply"].is_string()) {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.cache_hits;
        ++stats_.replies;
        return j["reply"];
      }
    }
  }
  std::string last;
  for (int attempt = 0;; ++attempt) {
    std::string reason;
    double retry_after = -1;
    std::string text = post(body, &reason, &retry_after);
    if (reason.empty()) {
      if (cached) {
        std::filesystem::create_directories(cached->parent_path());
        write_file_atomically(*cached, nlohmann::json{{"request", nlohmann::json::parse(body)}, {"reply", text}}.dump());
      }
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.replies;
      return text;
    }
    last = reason;
    if (attempt >= config_.max_retries)
      throw LlmError("no reply from " + config_.url + " after " + std::to_string(attempt + 1) + " attempts: " + last);
    double wait = std::min(config_.max_backoff_s, config_.backoff_s * std::pow(2.0, attempt));
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.retries;
      jitter_state_ ^= jitter_state_ << 13, jitter_state_ ^= jitter_state_ >> 7, jitter_state_ ^= jitter_state_ << 17;
    }
    wait *= 0.5 + 0.5 * static_cast<double>(jitter_state_ >> 11) * 0x1.0p-53;  // jitter: half to all of it
    if (retry_after >= 0) wait = std::max(wait, retry_after);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
}

}  // namespace longalign::host
