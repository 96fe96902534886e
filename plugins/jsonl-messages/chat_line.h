// One line of a chat JSONL file: the LongAlign-10k / OpenAI form
//   {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}
// or ShareGPT's
//   {"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}]}
// Other keys (e.g. LongAlign-10k's "source" or "id") are read when they are strings and ignored
// otherwise.
#pragma once
#include <longalign/plugin.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace longalign::plugins {

enum class ChatFormat { automatic, messages, sharegpt };

struct ChatLine {
  std::vector<Message> messages;
  std::string source;  // the line's own "source" string, when it has one
};

// Parses a line into out. Returns "" when it is a usable chat, else what is wrong, naming the
// field, e.g. "messages[1].content: expected a string, got number".
std::string parse_chat_line(std::string_view line, ChatFormat format, ChatLine& out);

}  // namespace longalign::plugins
