// libFuzzer target: jsonl-messages' line parser. The first byte picks the format; the rest is
// the line. Properties checked: no crash or sanitizer report; an accepted line gives a chat of
// known roles with a non-empty assistant turn (what the chat templates need); a rejected one
// says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chat_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using longalign::plugins::ChatFormat;
  const ChatFormat formats[] = {ChatFormat::automatic, ChatFormat::messages, ChatFormat::sharegpt};
  std::string_view line(reinterpret_cast<const char*>(data) + 1, size - 1);
  longalign::plugins::ChatLine chat;
  std::string problem = longalign::plugins::parse_chat_line(line, formats[data[0] % 3], chat);
  if (!problem.empty()) return 0;
  bool answered = false;
  for (auto& m : chat.messages) {
    if (m.role != "system" && m.role != "user" && m.role != "assistant") __builtin_trap();
    answered |= m.role == "assistant" && !m.content.empty();
  }
  if (!answered) __builtin_trap();
  return 0;
}
