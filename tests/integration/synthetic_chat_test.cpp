// synthetic-chat: each task's answers recomputed here from its inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "plugin/instance.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string expected(const std::string& task, const std::string& input) {
  if (task == "add" || task == "multiply") {
    long long a = 0, b = 0;
    char op = 0;
    std::istringstream(input) >> a >> op >> b;
    return std::to_string(task == "add" ? a + b : a * b);
  }
  if (task == "uppercase") {
    std::string u = input;
    std::transform(u.begin(), u.end(), u.begin(), ::toupper);
    return u;
  }
  std::vector<std::string> words;
  std::istringstream in(input);
  for (std::string w; in >> w;) words.push_back(w);
  auto join = [](const std::vector<std::string>& w) {
    std::string s;
    for (auto& x : w) s += (s.empty() ? "" : " ") + x;
    return s;
  };
  if (task == "reverse-words") return join(std::vector<std::string>(words.rbegin(), words.rend()));
  if (task == "sort-words") {
    std::sort(words.begin(), words.end());
    return join(words);
  }
  if (task == "lookup") {
    const std::string key = input.substr(input.rfind("key: ") + 5);
    auto at = input.find(key + "=");
    return input.substr(at + key.size() + 1, input.find(';', at) - at - key.size() - 1);
  }
  if (task == "date-format") return input.substr(8, 2) + "/" + input.substr(5, 2) + "/" + input.substr(0, 4);
  if (task == "to-binary") {
    std::string b;
    for (unsigned long x = std::stoul(input); x; x >>= 1) b.insert(b.begin(), static_cast<char>('0' + (x & 1)));
    return b;
  }
  if (task == "csv-to-json") {
    auto bar = input.find(" | ");
    std::vector<std::string> keys, values;
    std::istringstream k(input.substr(0, bar)), v(input.substr(bar + 3));
    for (std::string x; std::getline(k, x, ',');) keys.push_back(x);
    for (std::string x; std::getline(v, x, ',');) values.push_back(x);
    std::string json = "{";
    for (size_t i = 0; i < keys.size(); ++i) json += (i ? ",\"" : "\"") + keys[i] + "\":\"" + values.at(i) + "\"";
    return json + "}";
  }
  ADD_FAILURE() << "unknown task " << task;
  return "";
}

TEST(SyntheticChat, EveryAnswerIsRightAndEveryTaskAppears) {
  for (int items : {1, 3}) {
    DataSourceInstance src(PluginLibrary::load(test::kBundled / "synthetic-chat.so"), {{"count", 400}, {"items", items}});
    src.open(9);
    std::map<std::string, int> tasks;
    Example e;
    while (src.next(e)) {
      ++tasks[e.task];
      auto q = lines_of(e.messages.at(0).content);
      auto a = lines_of(e.messages.at(1).content);
      ASSERT_EQ(q.size(), static_cast<size_t>(items) + 1) << e.messages[0].content;
      ASSERT_EQ(a.size(), static_cast<size_t>(items));
      for (int i = 0; i < items; ++i) EXPECT_EQ(a[i], expected(e.task, q[i + 1])) << e.task << ": " << q[i + 1];
    }
    EXPECT_EQ(tasks.size(), 9u);
  }
}

}  // namespace
}  // namespace longalign::host
