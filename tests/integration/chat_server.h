// A local OpenAI-compatible chat-completions server for tests, on loopback (civetweb). Each
// request is answered by the next scripted Reply, or by `answer` once the script is spent; the
// requests it saw (body and Authorization header) are kept for the test to check.
#pragma once
#include <civetweb.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace longalign::test {

struct Reply {
  int status = 200;
  std::string body;             // empty with status 200: a completion of `content`
  std::string content;
  std::string retry_after;      // a Retry-After header, when set
  size_t claimed_length = 0;    // > body size: announce more than is sent (a cut reply)
  double delay_s = 0;           // wait this long first (a slow endpoint)

  static Reply completion(const std::string& text) { return Reply{200, "", text}; }
};

struct SeenRequest {
  nlohmann::json body;
  std::string authorization;
};

class ChatServer {
 public:
  // answer: the reply to a request once the script is spent (default: echo the last message).
  explicit ChatServer(std::function<std::string(const nlohmann::json& body)> answer = {}) : answer_(std::move(answer)) {
    mg_init_library(0);
    const char* options[] = {"listening_ports", "127.0.0.1:0", "num_threads", "8", nullptr};
    mg_callbacks callbacks{};
    ctx_ = mg_start(&callbacks, this, options);
    if (!ctx_) throw std::runtime_error("test chat server: cannot start");
    mg_set_request_handler(ctx_, "/v1/chat/completions", &ChatServer::handle, this);
    mg_server_port ports[1];
    if (mg_get_server_ports(ctx_, 1, ports) < 1) throw std::runtime_error("test chat server: no port");
    port_ = ports[0].port;
  }
  ~ChatServer() { mg_stop(ctx_); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  void script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(replies.begin(), replies.end());
  }
  std::vector<SeenRequest> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  static std::string completion_body(const std::string& text) {
    return nlohmann::json{{"id", "test"}, {"object", "chat.completion"},
                          {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", "stop"}}}}}
        .dump();
  }

 private:
  static int handle(mg_connection* conn, void* self_ptr) {
    auto* self = static_cast<ChatServer*>(self_ptr);
    const mg_request_info* info = mg_get_request_info(conn);
    std::string body;
    char buf[8192];
    for (int n; (n = mg_read(conn, buf, sizeof buf)) > 0;) body.append(buf, static_cast<size_t>(n));
    const char* auth = mg_get_header(conn, "Authorization");
    auto json = nlohmann::json::parse(body, nullptr, false);
    Reply r;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->seen_.push_back({json, auth ? auth : ""});
      if (!self->script_.empty()) {
        r = self->script_.front();
        self->script_.pop_front();
      } else {
        std::string text = self->answer_ ? self->answer_(json) : json["messages"].back()["content"].get<std::string>();
        r = Reply::completion(text);
      }
    }
    (void)info;
    if (r.delay_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(r.delay_s));
    if (r.body.empty() && r.status == 200) r.body = completion_body(r.content);
    const size_t length = r.claimed_length ? r.claimed_length : r.body.size();
    mg_printf(conn, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
              r.status, length, r.retry_after.empty() ? "" : ("Retry-After: " + r.retry_after + "\r\n").c_str());
    mg_write(conn, r.body.data(), r.body.size());
    return r.status;
  }

  std::function<std::string(const nlohmann::json&)> answer_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
  mutable std::mutex mu_;
  std::deque<Reply> script_;
  std::vector<SeenRequest> seen_;
};

}  // namespace longalign::test
