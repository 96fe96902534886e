// A chat template: the Jinja subset that models' tokenizer_config.json templates use, rendered
// as transformers renders them (Jinja2 with trim_blocks and lstrip_blocks, loop controls, no
// autoescaping). What it does not implement is refused when the template is read, naming the
// line, never rendered approximately. Checked against @huggingface/jinja on real templates
// (tests/tokenizers/chat_template_test.cpp).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/jinja/value.h"

namespace longalign::host::jinja {

struct Node;

class Template {
 public:
  explicit Template(std::string_view source);  // throws Error with the line
  // Throws Error (with the line) for what fails while rendering, raise_exception's included.
  std::string render(const Object& variables) const;

 private:
  std::shared_ptr<const std::vector<Node>> program_;
};

}  // namespace longalign::host::jinja
