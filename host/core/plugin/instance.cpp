#include "plugin/instance.h"

#include <cstddef>

namespace longalign::host {
namespace {

// Every kind's vtable starts with struct_size, create and destroy (LA_INSTANCE_FUNCTIONS).
struct VTablePrefix {
  uint32_t struct_size;
  LA_INSTANCE_FUNCTIONS;
};

la_error fresh_error() {
  la_error e{};
  e.struct_size = sizeof e;
  return e;
}

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> lib, la_plugin_kind kind, const InstanceParams& params)
    : lib_(std::move(lib)), host_(std::make_unique<HostServices>(lib_->info().name)) {
  if (lib_->info().kind != kind)
    throw PluginCallError(LA_ERR_INVALID_ARGUMENT, "plugin '" + lib_->info().name + "' is a " +
                                                       kind_name(lib_->info().kind) + ", not a " + kind_name(kind));
  ValueTree tree(params.for_plugin(lib_->info()));
  la_error e = fresh_error();
  int32_t status = lib_->vtable<VTablePrefix>().create(host_->table(), tree.root(), &handle_, &e);
  check(status, e, "create");
  if (!handle_) throw PluginCallError(LA_ERR_INTERNAL, "plugin '" + info().name + "' create returned no instance");
}

PluginInstance::~PluginInstance() {
  if (handle_) lib_->vtable<VTablePrefix>().destroy(handle_);
}

void PluginInstance::check(int32_t status, const la_error& error, const char* call) const {
  if (status == LA_OK) return;
  std::string msg(error.message, strnlen(error.message, LA_ERROR_MESSAGE_CAPACITY));
  if (msg.empty()) msg = "(no message)";
  throw PluginCallError(status, "plugin '" + info().name + "' " + call + " failed: " + msg);
}

DataSourceInstance::DataSourceInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params,
                                       const la_llm_client* llm)
    : PluginInstance(std::move(lib), LA_KIND_DATA_SOURCE, params) {
  host_->set_llm(llm);
}

void DataSourceInstance::open(uint64_t seed) {
  la_error e = fresh_error();
  check(lib_->vtable<la_data_source_vtable>().open(handle_, seed, &e), e, "open");
}

std::optional<int64_t> DataSourceInstance::count() {
  la_error e = fresh_error();
  int64_t n = -1;
  check(lib_->vtable<la_data_source_vtable>().count(handle_, &n, &e), e, "count");
  if (n < 0) return std::nullopt;
  return n;
}

bool DataSourceInstance::next(Example& out) {
  la_error e = fresh_error();
  la_example ex{};
  ex.struct_size = sizeof ex;
  int32_t status = lib_->vtable<la_data_source_vtable>().next(handle_, &ex, &e);
  if (status == LA_END) return false;
  check(status, e, "next");
  if (ex.n_messages && !ex.messages)
    throw PluginCallError(LA_ERR_INTERNAL, "plugin '" + info().name + "' next returned messages without an array");
  out = Example{};
  for (size_t i = 0; i < ex.n_messages; ++i)
    out.messages.push_back({std::string(view(ex.messages[i].role)), std::string(view(ex.messages[i].content))});
  out.text = view(ex.text);
  out.source = view(ex.source);
  out.task = view(ex.task);
  out.metadata_json = view(ex.metadata_json);
  return true;
}

nlohmann::json DataSourceInstance::provenance() {
  const auto& vt = lib_->vtable<la_data_source_vtable>();
  if (vt.struct_size < offsetof(la_data_source_vtable, provenance) + sizeof vt.provenance || !vt.provenance)
    return nlohmann::json::object();
  la_error e = fresh_error();
  la_str text{};
  check(vt.provenance(handle_, &text, &e), e, "provenance");
  if (text.size == 0) return nlohmann::json::object();
  auto j = nlohmann::json::parse(view(text), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw PluginCallError(LA_ERR_INTERNAL, "plugin '" + info().name + "' provenance is not a JSON object");
  return j;
}

BatchingInstance::BatchingInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params)
    : PluginInstance(std::move(lib), LA_KIND_BATCHING, params) {}

Plan BatchingInstance::plan(const la_batch_input& input) {
  la_error e = fresh_error();
  la_batch_plan p{};
  p.struct_size = sizeof p;
  check(lib_->vtable<la_batching_vtable>().plan(handle_, &input, &p, &e), e, "plan");
  auto copy = [&](auto* data, size_t n, auto& into, const char* what) {
    if (n && !data)
      throw PluginCallError(LA_ERR_INTERNAL, "plugin '" + info().name + "' plan returned " + what + " without an array");
    into.assign(data, data + n);
  };
  Plan out;
  if (p.layout != LA_LAYOUT_PADDED && p.layout != LA_LAYOUT_PACKED)
    throw PluginCallError(LA_ERR_INTERNAL, "plugin '" + info().name + "' plan has unknown layout " + std::to_string(p.layout));
  out.layout = static_cast<la_row_layout>(p.layout);
  copy(p.segments, p.n_segments, out.segments, "segments");
  copy(p.rows, p.n_rows, out.rows, "rows");
  copy(p.micro_batches, p.n_micro_batches, out.micro_batches, "micro-batches");
  copy(p.steps, p.n_steps, out.steps, "steps");
  std::vector<la_dropped> dropped;
  copy(p.dropped, p.n_dropped, dropped, "dropped sequences");
  for (auto& d : dropped) out.dropped.emplace_back(d.sequence, std::string(view(d.reason)));
  return out;
}

LossWeightingInstance::LossWeightingInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params)
    : PluginInstance(std::move(lib), LA_KIND_LOSS_WEIGHTING, params) {}

std::vector<double> LossWeightingInstance::weigh(const la_step& step) {
  la_error e = fresh_error();
  std::vector<double> w(step.n_segments, 0.0);
  check(lib_->vtable<la_loss_weighting_vtable>().weigh(handle_, &step, w.data(), &e), e, "weigh");
  return w;
}

EvaluatorInstance::EvaluatorInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params,
                                     const la_model_service* model, const la_llm_client* llm)
    : PluginInstance(std::move(lib), LA_KIND_EVALUATOR, params) {
  host_->set_model(model);
  host_->set_llm(llm);
}

void EvaluatorInstance::evaluate(std::vector<EvalMetric>& metrics, std::vector<EvalArtifact>& artifacts,
                                 const std::vector<Example>& examples) {
  struct Out {
    std::vector<EvalMetric>* metrics;
    std::vector<EvalArtifact>* artifacts;
  } out{&metrics, &artifacts};
  la_eval_sink sink{};
  sink.struct_size = sizeof sink;
  sink.ctx = &out;
  sink.metric = [](void* ctx, la_str name, double value, const la_tag* tags, size_t n) {
    EvalMetric m{std::string(view(name)), value, {}};
    for (size_t i = 0; i < n; ++i) m.tags.emplace_back(view(tags[i].key), view(tags[i].value));
    static_cast<Out*>(ctx)->metrics->push_back(std::move(m));
  };
  sink.artifact = [](void* ctx, la_str name, la_str media_type, const void* data, size_t size) {
    static_cast<Out*>(ctx)->artifacts->push_back(
        {std::string(view(name)), std::string(view(media_type)), std::string(static_cast<const char*>(data), size)});
  };
  // The examples as the ABI carries them, pointing into `examples` for the call's duration.
  std::vector<std::vector<la_message>> messages(examples.size());
  std::vector<la_example> carried(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& x = examples[i];
    for (auto& m : x.messages) messages[i].push_back({str(m.role), str(m.content)});
    carried[i] = {sizeof(la_example), messages[i].data(), messages[i].size(), str(x.text), str(x.source), str(x.task),
                  str(x.metadata_json)};
  }
  sink.examples = carried.data();
  sink.n_examples = carried.size();
  la_error e = fresh_error();
  check(lib_->vtable<la_evaluator_vtable>().evaluate(handle_, &sink, &e), e, "evaluate");
}

}  // namespace longalign::host
