#include "chat_line.h"

#include <nlohmann/json.hpp>

namespace longalign::plugins {
namespace {

using nlohmann::json;

// ShareGPT speakers, by the names its dumps use.
std::string sharegpt_role(const std::string& from) {
  if (from == "human" || from == "user") return "user";
  if (from == "gpt" || from == "assistant" || from == "chatgpt" || from == "bard" || from == "bing") return "assistant";
  if (from == "system") return "system";
  return "";
}

std::string got(const json& v) { return std::string(", got ") + v.type_name(); }

std::string read_turns(const json& turns, const char* key, const char* role_key, const char* content_key,
                       std::vector<Message>& out) {
  const std::string at = key;
  if (!turns.is_array()) return at + ": expected an array" + got(turns);
  if (turns.empty()) return at + ": empty";
  bool sharegpt = std::string_view(role_key) == "from";
  bool answered = false;
  for (size_t i = 0; i < turns.size(); ++i) {
    const std::string here = at + "[" + std::to_string(i) + "]";
    const json& t = turns[i];
    if (!t.is_object()) return here + ": expected an object" + got(t);
    auto r = t.find(role_key);
    if (r == t.end()) return here + ": missing '" + role_key + "'";
    if (!r->is_string()) return here + "." + role_key + ": expected a string" + got(*r);
    auto c = t.find(content_key);
    if (c == t.end()) return here + ": missing '" + content_key + "'";
    if (!c->is_string()) return here + "." + content_key + ": expected a string" + got(*c);
    std::string role = r->get<std::string>();
    if (sharegpt) role = sharegpt_role(role);
    if (role != "system" && role != "user" && role != "assistant")
      return here + "." + role_key + ": unknown speaker '" + r->get<std::string>() + "'" +
             (sharegpt ? " (expected human, gpt or system)" : " (expected system, user or assistant)");
    out.push_back({role, c->get<std::string>()});
    answered |= role == "assistant" && !out.back().content.empty();
  }
  if (!answered) return at + ": no non-empty assistant turn (nothing to train on)";
  return "";
}

}  // namespace

std::string parse_chat_line(std::string_view line, ChatFormat format, ChatLine& out) {
  out = ChatLine{};
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {  // a syntax error, or a number out of range (1e999999)
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> from "column".
    auto at = what.find("column");
    if (at == std::string::npos) at = what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2;
    return "not valid JSON (" + what.substr(at) + ")";
  }
  if (!j.is_object()) return std::string("expected a JSON object") + got(j);
  if (auto s = j.find("source"); s != j.end() && s->is_string()) out.source = s->get<std::string>();
  const bool has_messages = j.contains("messages"), has_conversations = j.contains("conversations");
  if (format == ChatFormat::messages || (format == ChatFormat::automatic && has_messages)) {
    if (!has_messages) return "missing 'messages'";
    return read_turns(j["messages"], "messages", "role", "content", out.messages);
  }
  if (!has_conversations)
    return format == ChatFormat::sharegpt ? "missing 'conversations'" : "missing 'messages' (or ShareGPT's 'conversations')";
  return read_turns(j["conversations"], "conversations", "from", "value", out.messages);
}

}  // namespace longalign::plugins
