// libFuzzer target: the checkpoint readers. The first byte picks the safetensors header parser
// or the config.json reader; the rest is the file. Properties checked: no crash or sanitizer
// report; an accepted header's tensors lie inside the file, hold exactly their shape's bytes
// and do not overlap; an accepted config.json describes a model the engine can build, and
// writing it back and reading it again gives the same config.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_config.h"
#include "checkpoint/safetensors.h"

namespace {

void trap_unless(bool ok) {
  if (!ok) __builtin_trap();
}

void check_header(std::string_view file) {
  using namespace longalign;
  host::SafetensorsHeader h;
  try {
    h = host::parse_safetensors_header(file, file.size(), "fuzz");
  } catch (const host::CheckpointError&) {
    return;
  }
  trap_unless(h.data_start <= file.size());
  uint64_t reach = 0;
  for (auto& t : h.tensors) {
    trap_unless(t.begin <= t.end && h.data_start + t.end <= file.size());
    uint64_t elements = 1;
    for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
    trap_unless(t.end - t.begin == elements * engine::dtype_size(t.dtype));
    if (t.begin == t.end) continue;
    trap_unless(t.begin >= reach);
    reach = t.end;
  }
}

void check_config(std::string_view text) {
  using namespace longalign;
  engine::ModelConfig c;
  try {
    c = host::parse_hf_config(std::string(text), "fuzz");
  } catch (const host::CheckpointError&) {
    return;
  }
  trap_unless((c.head_dim || c.d_model % c.n_heads == 0) && c.head_size() % 2 == 0 && c.n_heads % c.n_kv_heads == 0);
  engine::ModelConfig again = host::parse_hf_config(host::hf_config_json(c, engine::DType::BF16), "fuzz");
  trap_unless(again.vocab_size == c.vocab_size && again.d_model == c.d_model && again.n_layers == c.n_layers &&
              again.n_heads == c.n_heads && again.n_kv_heads == c.n_kv_heads && again.d_ff == c.d_ff &&
              again.rope_theta == c.rope_theta && again.norm_eps == c.norm_eps &&
              again.tie_embeddings == c.tie_embeddings && again.family == c.family && again.head_size() == c.head_size() &&
              again.qkv_bias == c.qkv_bias && again.o_bias == c.o_bias && again.qk_norm == c.qk_norm &&
              again.rope_scaling.type == c.rope_scaling.type && again.rope_scaling.factor == c.rope_scaling.factor &&
              again.sliding_window == c.sliding_window);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) check_config(rest);
  else check_header(rest);
  return 0;
}
