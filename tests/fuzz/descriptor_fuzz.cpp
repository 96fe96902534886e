// libFuzzer target: arbitrary plugin descriptors through check_descriptor(). Properties checked:
// no crash or sanitizer report; an accepted descriptor's defaults resolve through the same
// schema checks the sweep validator uses; its JSON form round-trips.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "plugin/descriptor.h"
#include "plugin/params.h"

namespace {

int32_t create(const la_host_services*, const la_value*, void**, la_error*) { return LA_OK; }
void destroy(void*) {}
int32_t open_fn(void*, uint64_t, la_error*) { return LA_OK; }
int32_t count_fn(void*, int64_t*, la_error*) { return LA_OK; }
int32_t next_fn(void*, la_example*, la_error*) { return LA_END; }
int32_t plan_fn(void*, const la_batch_input*, la_batch_plan*, la_error*) { return LA_OK; }
int32_t weigh_fn(void*, const la_step*, double*, la_error*) { return LA_OK; }
int32_t eval_fn(void*, const la_eval_sink*, la_error*) { return LA_OK; }

// Strings the descriptor points at, kept alive for one input.
struct Arena {
  std::deque<std::string> strings;
  std::deque<std::vector<const char*>> lists;
  const char* str(FuzzedDataProvider& in, size_t max) {
    if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return nullptr;
    return strings.emplace_back(in.ConsumeRandomLengthString(max)).c_str();
  }
};

void trap_unless(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace longalign::host;
  FuzzedDataProvider in(data, size);
  Arena arena;
  la_data_source_vtable ds{sizeof ds, create, destroy, open_fn, count_fn, next_fn};
  la_batching_vtable bt{sizeof bt, create, destroy, plan_fn};
  la_loss_weighting_vtable lw{sizeof lw, create, destroy, in.ConsumeIntegralInRange<uint32_t>(0, 2), weigh_fn};
  la_evaluator_vtable ev{sizeof ev, create, destroy, eval_fn};
  const void* vtables[] = {&ds, &bt, &lw, &ev};

  la_plugin_descriptor d{};
  d.api_version = in.ConsumeBool() ? LA_API_VERSION : in.ConsumeIntegral<uint32_t>();
  d.struct_size = in.ConsumeBool() ? sizeof d : in.ConsumeIntegralInRange<uint32_t>(0, 256);
  d.name = arena.str(in, 80);
  d.version = arena.str(in, 80);
  d.description = arena.str(in, 200);
  d.kind = in.ConsumeIntegralInRange<uint32_t>(0, LA_KIND_COUNT);
  d.vtable = d.kind < LA_KIND_COUNT && in.ConsumeIntegralInRange<int>(0, 7) ? vtables[d.kind] : nullptr;
  if (d.vtable && in.ConsumeIntegralInRange<int>(0, 7) == 0)
    *static_cast<uint32_t*>(const_cast<void*>(d.vtable)) = in.ConsumeIntegralInRange<uint32_t>(0, 64);

  // The specs laid out at a stride of the first v1 layout's, this header's or a later one's, as
  // plugins built against those headers write them.
  const size_t strides[] = {offsetof(la_param_spec, flags), sizeof(la_param_spec), sizeof(la_param_spec) + 16};
  const size_t stride = strides[in.ConsumeIntegralInRange<size_t>(0, 2)];
  std::vector<la_param_spec> params(in.ConsumeIntegralInRange<size_t>(0, 6));
  for (auto& p : params) {
    p.struct_size = in.ConsumeBool() ? stride : in.ConsumeIntegralInRange<uint32_t>(0, 64);
    p.name = arena.str(in, 20);
    p.type = in.ConsumeIntegralInRange<uint32_t>(0, LA_PARAM_TYPE_COUNT);
    p.default_json = arena.str(in, 40);
    p.doc = arena.str(in, 20);
    p.has_min = in.ConsumeBool();
    p.has_max = in.ConsumeBool();
    p.min = in.ConsumeFloatingPoint<double>();
    p.max = in.ConsumeFloatingPoint<double>();
    auto& choices = arena.lists.emplace_back();
    for (size_t c = in.ConsumeIntegralInRange<size_t>(0, 3); c > 0; --c) choices.push_back(arena.str(in, 12));
    p.choices = choices.empty() ? nullptr : choices.data();
    p.n_choices = choices.size();
  }
  std::vector<unsigned char> laid_out(params.size() * stride);
  for (size_t i = 0; i < params.size(); ++i)
    std::memcpy(laid_out.data() + i * stride, &params[i], std::min(stride, sizeof(la_param_spec)));
  d.params = params.empty() && in.ConsumeBool() ? nullptr : reinterpret_cast<const la_param_spec*>(laid_out.data());
  d.n_params = params.size();

  auto result = check_descriptor(&d);
  if (auto* info = std::get_if<PluginInfo>(&result)) {
    nlohmann::json defaults = resolve_params(*info, nlohmann::json::object());
    trap_unless(defaults.size() == info->params.size());
    for (auto& p : info->params) trap_unless(check_param_value(p, defaults[p.name]).empty());
    ValueTree tree(defaults);
    trap_unless(tree.root()->n_items == info->params.size());
    trap_unless(to_json(plugin_info_from_json(to_json(*info))) == to_json(*info));
  } else {
    trap_unless(!std::get<std::string>(result).empty());
  }
  return 0;
}
