#include "text/hf/components.h"

namespace longalign::host::hf {
namespace {

void template_single(const JsonAt& j, SpecialTokensAround& around) {
  const JsonAt single = j.at("single");
  const JsonAt specials = j.at("special_tokens");
  bool seen_sequence = false;
  for (size_t i = 0; i < single.value.size(); ++i) {
    const JsonAt item = single.at(i);
    if (item.has("Sequence")) {
      if (seen_sequence) item.fail("a single-sequence template names the sequence twice");
      seen_sequence = true;
      continue;
    }
    if (!item.has("SpecialToken")) item.fail("a template item is a SpecialToken or the Sequence");
    const std::string name = item.at("SpecialToken").string("id");
    const JsonAt ids = specials.at(name).at("ids");
    for (size_t k = 0; k < ids.value.size(); ++k) (seen_sequence ? around.after : around.before).push_back(token_id(ids.at(k)));
  }
  if (!seen_sequence) single.fail("the template has no Sequence item");
}

void load_into(const JsonAt& j, SpecialTokensAround& around) {
  if (j.value.is_null()) return;
  const std::string type = j.string("type");
  if (type == "ByteLevel") return;  // offsets only: the ids are unchanged
  if (type == "TemplateProcessing") {
    // A later processor wraps what the earlier ones made.
    SpecialTokensAround inner;
    template_single(j, inner);
    around.before.insert(around.before.begin(), inner.before.begin(), inner.before.end());
    around.after.insert(around.after.end(), inner.after.begin(), inner.after.end());
    return;
  }
  if (type == "Sequence") {
    const JsonAt list = j.at("processors");
    for (size_t i = 0; i < list.value.size(); ++i) load_into(list.at(i), around);
    return;
  }
  unsupported(j.at("type"), "post-processor", {"ByteLevel", "TemplateProcessing", "Sequence"});
}

}  // namespace

SpecialTokensAround load_post_processor(const JsonAt& j) {
  SpecialTokensAround around;
  load_into(j, around);
  return around;
}

}  // namespace longalign::host::hf
