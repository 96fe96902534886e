// The LLM client against a local server speaking the OpenAI protocol: what it sends, how it
// retries (429 with Retry-After, 500, timeouts, cut bodies, malformed JSON), what it gives up
// on, its disk cache, and that the API key never reaches a file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "chat_server.h"
#include "llm/llm_client.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

using test::Reply;

LlmConfig quick(const test::ChatServer& server) {
  LlmConfig c;
  c.url = server.url();
  c.model = "judge-1";
  c.timeout_s = 2;  // a healthy reply on the loopback comes in milliseconds, even on a loaded machine
  c.max_retries = 6;
  c.backoff_s = 0.01;
  c.max_backoff_s = 0.05;
  return c;
}

LlmRequest hello() { return LlmRequest{"", {{"system", "Be brief."}, {"user", "Hello?"}}, 0.0, 16, 7}; }

TEST(LlmClient, SendsTheChatAndReadsTheReply) {
  test::ChatServer server([](const nlohmann::json&) { return "Hi."; });
  setenv("LONGALIGN_TEST_KEY", "sk-test-123", 1);
  LlmConfig c = quick(server);
  c.api_key_env = "LONGALIGN_TEST_KEY";
  LlmClient client(c);
  EXPECT_EQ(client.chat(hello()), "Hi.");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].authorization, "Bearer sk-test-123");
  EXPECT_EQ(seen[0].body["model"], "judge-1");
  EXPECT_EQ(seen[0].body["temperature"], 0.0);
  EXPECT_EQ(seen[0].body["max_tokens"], 16);
  EXPECT_EQ(seen[0].body["seed"], 7);
  EXPECT_EQ(seen[0].body["messages"], nlohmann::json::parse(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hello?"}])"));
}

TEST(LlmClient, RetriesWhatCanSucceedAndHonoursRetryAfter) {
  test::ChatServer server;
  server.script({Reply{429, R"({"error":"slow down"})", "", "1"},
                 Reply{500, R"({"error":"oops"})"},
                 Reply{200, "", "", "", 0, 4},  // slower than the 2 s timeout
                 Reply{200, R"({"choices":[{"message":{"content":"cut)", "", "", 400},
                 Reply{200, "this is not json"},
                 Reply{200, R"({"choices":[]})"},
                 Reply::completion("finally")});
  LlmClient client(quick(server));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(client.chat(hello()), "finally");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(seconds, 1.0) << "Retry-After: 1 was honoured";
  EXPECT_EQ(client.stats().requests, 7);
  EXPECT_EQ(client.stats().retries, 6);
}

TEST(LlmClient, GivesUpNamingTheLastCause) {
  test::ChatServer server;
  server.script({Reply{503, "busy"}, Reply{503, "busy"}, Reply{503, "still busy"}});
  LlmConfig c = quick(server);
  c.max_retries = 2;
  LlmClient client(c);
  try {
    client.chat(hello());
    FAIL() << "no error";
  } catch (const LlmError& e) {
    EXPECT_NE(std::string(e.what()).find("after 3 attempts: HTTP 503: still busy"), std::string::npos) << e.what();
  }
}

TEST(LlmClient, ABadRequestIsNotRetried) {
  test::ChatServer server;
  server.script({Reply{400, R"({"error":"unknown model"})"}});
  LlmClient client(quick(server));
  EXPECT_THROW(client.chat(hello()), LlmError);
  EXPECT_EQ(client.stats().requests, 1);
}

TEST(LlmClient, CachesRepliesAndNeverWritesTheKey) {
  test::ScratchDir dir("llm-cache");
  test::ChatServer server([](const nlohmann::json&) { return "cached answer"; });
  setenv("LONGALIGN_TEST_KEY", "sk-secret-456", 1);
  LlmConfig c = quick(server);
  c.api_key_env = "LONGALIGN_TEST_KEY";
  c.cache_dir = dir.path / "llm";
  {
    LlmClient client(c);
    EXPECT_EQ(client.chat(hello()), "cached answer");
  }
  LlmClient again(c);
  EXPECT_EQ(again.chat(hello()), "cached answer");
  EXPECT_EQ(again.stats().cache_hits, 1);
  EXPECT_EQ(again.stats().requests, 0);
  EXPECT_EQ(server.seen().size(), 1u);
  LlmRequest other = hello();
  other.seed = 8;  // another request: another entry
  again.chat(other);
  EXPECT_EQ(server.seen().size(), 2u);
  for (auto& f : std::filesystem::recursive_directory_iterator(dir.path)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text.find("sk-secret-456"), std::string::npos) << f.path();
  }
}

TEST(LlmClient, RateLimitSpacesRequests) {
  test::ChatServer server;
  LlmConfig c = quick(server);
  c.requests_per_second = 20;
  LlmClient client(c);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    LlmRequest r = hello();
    r.seed = static_cast<uint64_t>(i);
    client.chat(r);
  }
  EXPECT_GE(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 0.25);
}

TEST(LlmClient, AMissingKeyOrBadUrlIsAClearError) {
  EXPECT_THROW(LlmClient(LlmConfig{}), LlmError);
  LlmConfig bad;
  bad.url = "ftp://example";
  EXPECT_THROW(LlmClient{bad}, LlmError);
  test::ChatServer server;
  LlmConfig c = quick(server);
  c.api_key_env = "LONGALIGN_NO_SUCH_KEY_VARIABLE";
  LlmClient client(c);
  try {
    client.chat(hello());
    FAIL();
  } catch (const LlmError& e) {
    EXPECT_NE(std::string(e.what()).find("LONGALIGN_NO_SUCH_KEY_VARIABLE is not set"), std::string::npos);
  }
}

}  // namespace
}  // namespace longalign::host
