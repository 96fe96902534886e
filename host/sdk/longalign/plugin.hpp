// longalign plugin SDK: a header-only C++17 wrapper over the C ABI in plugin.h.
//
// A plugin author derives from one of DataSource, Batching, LossWeighting or Evaluator, gives the
// class a static describe() and a constructor (const Params&, const Host&), and writes
// LONGALIGN_PLUGIN(Class) once. The wrapper turns exceptions into error values, owns what the
// plugin returns until the host's next call, and builds the descriptor. Standard library only.
#ifndef LONGALIGN_PLUGIN_HPP
#define LONGALIGN_PLUGIN_HPP

#include <longalign/plugin.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace longalign {

// ---- errors -------------------------------------------------------------------------------------

// Throw this from plugin code to return a specific status; any other exception becomes
// LA_ERR_INTERNAL with its what().
class Error : public std::runtime_error {
 public:
  Error(la_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  la_status code() const { return code_; }

 private:
  la_status code_;
};

inline void set_error(la_error* error, int32_t code, std::string_view message) {
  if (!error) return;
  error->code = code;
  size_t n = message.size() < LA_ERROR_MESSAGE_CAPACITY - 1 ? message.size() : LA_ERROR_MESSAGE_CAPACITY - 1;
  std::memcpy(error->message, message.data(), n);
  error->message[n] = '\0';
}

inline la_error make_error() {
  la_error e{};
  e.struct_size = sizeof(la_error);
  return e;
}

// Throws Error for a failed call into the host.
inline void check_host(int32_t status, const la_error& error) {
  if (status != LA_OK && status != LA_END) throw Error(static_cast<la_status>(status), error.message);
}

namespace detail {
// Runs f, mapping exceptions to a status and message.
template <typename F>
int32_t guarded(la_error* error, F&& f) noexcept {
  try {
    return f();
  } catch (const Error& e) {
    set_error(error, e.code(), e.what());
    return e.code();
  } catch (const std::exception& e) {
    set_error(error, LA_ERR_INTERNAL, e.what());
    return LA_ERR_INTERNAL;
  } catch (...) {
    set_error(error, LA_ERR_INTERNAL, "unknown exception");
    return LA_ERR_INTERNAL;
  }
}
}  // namespace detail

inline std::string_view view(la_str s) { return {s.data ? s.data : "", s.size}; }
inline la_str str(std::string_view s) { return {s.data(), s.size()}; }

template <typename T>
struct Span {
  const T* data = nullptr;
  size_t size = 0;
  const T* begin() const { return data; }
  const T* end() const { return data + size; }
  const T& operator[](size_t i) const { return data[i]; }
};

// ---- arrays of sized structs --------------------------------------------------------------------

// The size of a struct's first API-v1 layout: the least a reader accepts. A struct that grew
// inside v1 says here where its first layout ended.
template <typename T>
constexpr size_t first_layout_size() { return sizeof(T); }
template <>
constexpr size_t first_layout_size<la_param_spec>() { return offsetof(la_param_spec, flags); }

// An array of structs that start with struct_size, read and written at its writer's stride: the
// struct_size its elements carry (one value for the whole array), never the reader's sizeof. A
// writer built against an older header made smaller elements, a newer one larger; either way
// element i starts at i * stride. Elements that all say 0 (a C plugin that never set the field,
// which hosts before this one accepted) are taken as the first layout while that is the only one
// (or there is one element); for a struct that grew, the stride is then unknown and refused. get() copies the fields
// both layouts have and zeroes the rest (check struct_size before using a field added after the
// first layout); set() writes the fields both have and sets struct_size to what it wrote. An
// out-parameter is an array of one.
template <typename T>
class SizedArray {
  using Byte = std::conditional_t<std::is_const_v<T>, const unsigned char, unsigned char>;

 public:
  using Value = std::remove_const_t<T>;

  // Throws Error (LA_ERR_INVALID_ARGUMENT) naming `what` when there is no array, an element is
  // smaller than min_size, or the elements disagree on their size.
  SizedArray(T* data, size_t n, std::string_view what, size_t min_size = first_layout_size<Value>())
      : data_(reinterpret_cast<Byte*>(data)), n_(n) {
    if (n == 0) return;
    if (!data) throw Error(LA_ERR_INVALID_ARGUMENT, std::string(what) + ": no array for " + std::to_string(n) + " elements");
    const uint32_t declared = size_at(0);
    // An unset struct_size leaves the stride unknown once the struct has grown: taking the first
    // layout would read a newer writer's second element from inside its first.
    if (!declared && n > 1 && min_size != sizeof(Value))
      throw Error(LA_ERR_INVALID_ARGUMENT, std::string(what) + ": element 0 leaves struct_size at 0, and these elements " +
                                               "have had more than one layout; set struct_size = sizeof in each element");
    stride_ = declared ? declared : static_cast<uint32_t>(min_size);
    if (stride_ < min_size)
      throw Error(LA_ERR_INVALID_ARGUMENT, std::string(what) + ": elements of " + std::to_string(stride_) +
                                               " bytes, below the first layout's " + std::to_string(min_size));
    for (size_t i = 1; i < n; ++i)
      if (size_at(i) != declared)
        throw Error(LA_ERR_INVALID_ARGUMENT, std::string(what) + ": element " + std::to_string(i) + " is " +
                                                 std::to_string(size_at(i)) + " bytes, element 0 " + std::to_string(declared));
  }
  size_t size() const { return n_; }
  uint32_t stride() const { return stride_; }
  Value get(size_t i) const {
    Value v{};
    std::memcpy(&v, data_ + i * stride_, shared());
    return v;
  }
  template <typename U = T, typename = std::enable_if_t<!std::is_const_v<U>>>
  void set(size_t i, Value v) const {
    const uint32_t written = static_cast<uint32_t>(shared());
    std::memcpy(&v, &written, sizeof written);  // struct_size, the first field of every sized struct
    std::memcpy(data_ + i * stride_, &v, shared());
  }

 private:
  uint32_t size_at(size_t i) const {
    uint32_t s;
    std::memcpy(&s, data_ + i * static_cast<size_t>(stride_), sizeof s);
    return s;
  }
  size_t shared() const { return stride_ < sizeof(Value) ? stride_ : sizeof(Value); }
  Byte* data_;
  size_t n_;
  uint32_t stride_ = 0;
};

// ---- parameters ---------------------------------------------------------------------------------

// A read-only view of a parameter value passed by the host.
class Value {
 public:
  explicit Value(const la_value* v) : v_(v) {}
  la_param_type type() const { return static_cast<la_param_type>(v_->type); }
  bool as_bool() const { expect(LA_PARAM_BOOL, "a bool"); return v_->boolean != 0; }
  int64_t as_int() const { expect(LA_PARAM_INT, "an integer"); return v_->integer; }
  double as_float() const {
    if (v_->type == LA_PARAM_INT) return static_cast<double>(v_->integer);
    expect(LA_PARAM_FLOAT, "a number");
    return v_->number;
  }
  std::string as_string() const { expect(LA_PARAM_STRING, "a string"); return std::string(view(v_->string)); }
  size_t size() const { return v_->n_items; }
  Value operator[](size_t i) const { return Value(&v_->items[i]); }
  std::optional<Value> find(std::string_view key) const {
    if (v_->type != LA_PARAM_TABLE) return std::nullopt;
    for (size_t i = 0; i < v_->n_items; ++i)
      if (view(v_->keys[i]) == key) return Value(&v_->items[i]);
    return std::nullopt;
  }
  std::string_view key(size_t i) const { return view(v_->keys[i]); }
  const la_value* raw() const { return v_; }

 private:
  void expect(la_param_type t, const char* what) const {
    if (v_->type != static_cast<uint32_t>(t))
      throw Error(LA_ERR_INVALID_ARGUMENT, std::string("parameter value is not ") + what);
  }
  const la_value* v_;
};

// The plugin's parameters: a table holding every parameter of its schema (defaults filled in).
// Valid only inside the plugin's constructor: copy what you keep.
class Params {
 public:
  explicit Params(const la_value* table) : table_(table) {}
  Value at(std::string_view name) const {
    if (auto v = table_.find(name)) return *v;
    throw Error(LA_ERR_INVALID_ARGUMENT, "missing parameter '" + std::string(name) + "'");
  }
  bool get_bool(std::string_view n) const { return at(n).as_bool(); }
  int64_t get_int(std::string_view n) const { return at(n).as_int(); }
  double get_float(std::string_view n) const { return at(n).as_float(); }
  std::string get_string(std::string_view n) const { return at(n).as_string(); }

 private:
  Value table_;
};

// One parameter of the schema, built fluently: Param::integer("batch", 8, "doc").min(1).
class Param {
 public:
  static Param boolean(std::string name, bool def, std::string doc) {
    return Param(std::move(name), LA_PARAM_BOOL, def ? "true" : "false", std::move(doc));
  }
  static Param integer(std::string name, int64_t def, std::string doc) {
    return Param(std::move(name), LA_PARAM_INT, std::to_string(def), std::move(doc));
  }
  static Param number(std::string name, double def, std::string doc) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", def);
    std::string s = buf;
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // keep it a JSON float
    return Param(std::move(name), LA_PARAM_FLOAT, s, std::move(doc));
  }
  static Param string(std::string name, std::string def, std::string doc) {
    std::string json = "\"";
    for (char c : def) {
      if (c == '"' || c == '\\') {
        json += '\\';
        json += c;
      } else if (c == '\n') {
        json += "\\n";
      } else if (c == '\t') {
        json += "\\t";
      } else if (static_cast<unsigned char>(c) < 0x20) {  // other control characters: \u00XX
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
        json += esc;
      } else {
        json += c;
      }
    }
    json += '"';
    return Param(std::move(name), LA_PARAM_STRING, json, std::move(doc));
  }
  // A list or table parameter, its default given as a JSON literal.
  static Param list(std::string name, std::string default_json, std::string doc) {
    return Param(std::move(name), LA_PARAM_LIST, std::move(default_json), std::move(doc));
  }
  static Param table(std::string name, std::string default_json, std::string doc) {
    return Param(std::move(name), LA_PARAM_TABLE, std::move(default_json), std::move(doc));
  }
  Param&& min(double v) && { has_min_ = true; min_ = v; return std::move(*this); }
  Param&& max(double v) && { has_max_ = true; max_ = v; return std::move(*this); }
  Param&& range(double lo, double hi) && { return std::move(*this).min(lo).max(hi); }
  Param&& choices(std::vector<std::string> c) && { choices_ = std::move(c); return std::move(*this); }
  // Its values name files: the host makes relative ones absolute from the sweep file's directory.
  Param&& path() && { flags_ |= LA_PARAM_FLAG_PATH; return std::move(*this); }

 private:
  friend class Plugin;
  Param(std::string name, la_param_type t, std::string def, std::string doc)
      : name_(std::move(name)), type_(t), default_(std::move(def)), doc_(std::move(doc)) {}
  std::string name_;
  la_param_type type_;
  std::string default_, doc_;
  bool has_min_ = false, has_max_ = false;
  double min_ = 0, max_ = 0;
  std::vector<std::string> choices_;
  uint32_t flags_ = 0;
};

// ---- host services ------------------------------------------------------------------------------

struct Message {
  std::string role, content;
};

class Host {
 public:
  explicit Host(const la_host_services* h) : h_(h) {}
  void log(la_log_level level, std::string_view message) const {
    if (h_ && h_->log) h_->log(h_->ctx, level, str(message));
  }
  void metric(std::string_view name, double value, const std::vector<std::pair<std::string, std::string>>& tags = {}) const {
    if (!h_ || !h_->metric) return;
    std::vector<la_tag> t;
    for (auto& [k, v] : tags) t.push_back({str(k), str(v)});
    h_->metric(h_->ctx, str(name), value, t.data(), t.size());
  }
  // Asks the host's LLM client; throws Error (LA_ERR_UNAVAILABLE where the host has none).
  std::string chat(const std::vector<Message>& messages, double temperature = 0.0, int32_t max_tokens = 0,
                   uint64_t seed = 0, std::string_view model = {}) const {
    const la_llm_client* c = h_ ? h_->llm : nullptr;
    if (!c || !c->chat) throw Error(LA_ERR_UNAVAILABLE, "the host offers no LLM client");
    std::vector<la_message> m;
    for (auto& x : messages) m.push_back({str(x.role), str(x.content)});
    la_chat_request r{};
    r.struct_size = sizeof r;
    r.model = str(model);
    r.messages = m.data();
    r.n_messages = m.size();
    r.temperature = temperature;
    r.max_tokens = max_tokens;
    r.seed = seed;
    la_str reply{};
    la_error e = make_error();
    check_host(c->chat(c->ctx, &r, &reply, &e), e);
    return std::string(view(reply));
  }
  // The model service, for evaluators; throws Error (LA_ERR_UNAVAILABLE where there is none).
  const la_model_service& model() const {
    if (!h_ || !h_->model) throw Error(LA_ERR_UNAVAILABLE, "the host offers no model service");
    return *h_->model;
  }
  std::vector<uint32_t> tokenize(std::string_view text) const {
    const la_model_service& m = model();
    const uint32_t* ids = nullptr;
    size_t n = 0;
    la_error e = make_error();
    check_host(m.tokenize(m.ctx, str(text), &ids, &n, &e), e);
    return std::vector<uint32_t>(ids, ids + n);
  }
  // The ids of a chat prompt in the model's own chat template, ready to generate the reply.
  std::vector<uint32_t> chat_prompt(const std::vector<Message>& messages) const {
    const la_model_service& m = model();
    if (m.struct_size < offsetof(la_model_service, chat_prompt) + sizeof m.chat_prompt || !m.chat_prompt)
      throw Error(LA_ERR_UNAVAILABLE, "this host's model service has no chat_prompt");
    std::vector<la_message> msgs;
    for (auto& x : messages) msgs.push_back({str(x.role), str(x.content)});
    const uint32_t* ids = nullptr;
    size_t n = 0;
    la_error e = make_error();
    check_host(m.chat_prompt(m.ctx, msgs.data(), msgs.size(), &ids, &n, &e), e);
    return std::vector<uint32_t>(ids, ids + n);
  }
  uint32_t context_size() const {
    const la_model_service& m = model();
    uint32_t n = 0;
    la_error e = make_error();
    check_host(m.context_size(m.ctx, &n, &e), e);
    return n;
  }
  std::string detokenize(const std::vector<uint32_t>& ids) const {
    const la_model_service& m = model();
    la_str text{};
    la_error e = make_error();
    check_host(m.detokenize(m.ctx, ids.data(), ids.size(), &text, &e), e);
    return std::string(view(text));
  }
  struct Generation {
    std::vector<uint32_t> tokens;
    std::string text;
  };
  // One generation per request, in order.
  std::vector<Generation> generate(const std::vector<la_generate_request>& requests) const {
    const la_model_service& m = model();
    std::vector<la_generation> out(requests.size());
    for (auto& g : out) g.struct_size = sizeof g;
    la_error e = make_error();
    check_host(m.generate(m.ctx, requests.data(), requests.size(), out.data(), &e), e);
    std::vector<Generation> gens;
    for (auto& g : out) gens.push_back({std::vector<uint32_t>(g.tokens, g.tokens + g.n_tokens), std::string(view(g.text))});
    return gens;
  }
  std::vector<la_score_result> score(const std::vector<la_score_request>& requests) const {
    const la_model_service& m = model();
    std::vector<la_score_result> out(requests.size());
    for (auto& r : out) r.struct_size = sizeof r;
    la_error e = make_error();
    check_host(m.score(m.ctx, requests.data(), requests.size(), out.data(), &e), e);
    return out;
  }
  const la_host_services* raw() const { return h_; }

 private:
  const la_host_services* h_;
};

// ---- plugin kinds -------------------------------------------------------------------------------

struct Example {
  std::vector<Message> messages;  // a chat; empty for plain text
  std::string text;               // plain text, when messages is empty
  std::string source, task, metadata_json;
};

class DataSource {
 public:
  static constexpr la_plugin_kind kind = LA_KIND_DATA_SOURCE;
  virtual ~DataSource() = default;
  virtual void open(uint64_t seed) = 0;
  virtual int64_t count() { return -1; }
  // Fills out and returns true, or returns false at the end of the stream.
  virtual bool next(Example& out) = 0;
  // What the stream has read since open(), as a JSON object ("" for nothing to record); list
  // input files under "files" and the host records their hashes.
  virtual std::string provenance() { return ""; }
};

struct Plan {
  la_row_layout layout = LA_LAYOUT_PADDED;
  std::vector<la_segment> segments;
  std::vector<la_row> rows;
  std::vector<la_range> micro_batches;  // ranges of rows
  std::vector<la_range> steps;          // ranges of micro-batches
  std::vector<std::pair<uint32_t, std::string>> dropped;  // sequence, reason
};

class Batching {
 public:
  static constexpr la_plugin_kind kind = LA_KIND_BATCHING;
  virtual ~Batching() = default;
  virtual Plan plan(const la_batch_input& input) = 0;
};

class LossWeighting {
 public:
  static constexpr la_plugin_kind kind = LA_KIND_LOSS_WEIGHTING;
  static constexpr uint32_t flags = 0;  // shadow with LA_WEIGHTS_UNNORMALIZED where it applies
  virtual ~LossWeighting() = default;
  // weights has one entry per segment of the step, zero-initialised.
  virtual void weigh(const la_step& step, std::vector<double>& weights) = 0;
};

class EvalSink {
 public:
  explicit EvalSink(const la_eval_sink* s) : s_(s) {}
  void metric(std::string_view name, double value, const std::vector<std::pair<std::string, std::string>>& tags = {}) const {
    std::vector<la_tag> t;
    for (auto& [k, v] : tags) t.push_back({str(k), str(v)});
    s_->metric(s_->ctx, str(name), value, t.data(), t.size());
  }
  void artifact(std::string_view name, std::string_view media_type, const std::string& bytes) const {
    s_->artifact(s_->ctx, str(name), str(media_type), bytes.data(), bytes.size());
  }
  // The examples the sweep gave this evaluation ([[evaluate]] data = {...}); empty when none.
  std::vector<Example> examples() const {
    std::vector<Example> out;
    if (s_->struct_size < offsetof(la_eval_sink, n_examples) + sizeof s_->n_examples) return out;
    SizedArray<const la_example> examples(s_->examples, s_->n_examples, "the sink's examples");
    for (size_t i = 0; i < examples.size(); ++i) {
      const la_example x = examples.get(i);
      Example e;
      for (size_t m = 0; m < x.n_messages; ++m)
        e.messages.push_back({std::string(view(x.messages[m].role)), std::string(view(x.messages[m].content))});
      e.text = view(x.text);
      e.source = view(x.source);
      e.task = view(x.task);
      e.metadata_json = view(x.metadata_json);
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  const la_eval_sink* s_;
};

class Evaluator {
 public:
  static constexpr la_plugin_kind kind = LA_KIND_EVALUATOR;
  virtual ~Evaluator() = default;
  virtual void evaluate(const EvalSink& sink) = 0;
};

// ---- the descriptor -----------------------------------------------------------------------------

// What describe() returns: name, version, description and the parameter schema.
class Plugin {
 public:
  Plugin(std::string name, std::string version, std::string description)
      : name_(std::move(name)), version_(std::move(version)), description_(std::move(description)) {}
  Plugin&& param(Param p) && { params_.push_back(std::move(p)); return std::move(*this); }

  // Builds the C descriptor; pointers refer into this object, which must outlive it.
  const la_plugin_descriptor* descriptor(la_plugin_kind kind, const void* vtable) {
    for (auto& p : params_) {
      auto& cs = choice_ptrs_.emplace_back();
      for (auto& c : p.choices_) cs.push_back(c.c_str());
    }
    size_t i = 0;
    for (auto& p : params_) {
      la_param_spec s{};
      s.struct_size = sizeof s;
      s.name = p.name_.c_str();
      s.type = p.type_;
      s.default_json = p.default_.c_str();
      s.doc = p.doc_.c_str();
      s.has_min = p.has_min_;
      s.has_max = p.has_max_;
      s.min = p.min_;
      s.max = p.max_;
      s.choices = choice_ptrs_[i].empty() ? nullptr : choice_ptrs_[i].data();
      s.n_choices = choice_ptrs_[i].size();
      s.flags = p.flags_;
      specs_.push_back(s);
      ++i;
    }
    d_.api_version = LA_API_VERSION;
    d_.struct_size = sizeof d_;
    d_.name = name_.c_str();
    d_.version = version_.c_str();
    d_.description = description_.c_str();
    d_.kind = kind;
    d_.params = specs_.data();
    d_.n_params = specs_.size();
    d_.vtable = vtable;
    return &d_;
  }

 private:
  std::string name_, version_, description_;
  std::vector<Param> params_;
  std::vector<std::vector<const char*>> choice_ptrs_;
  std::vector<la_param_spec> specs_;
  la_plugin_descriptor d_{};
};

namespace detail {

// Inputs the host must never send; checked here so no plugin has to.
inline void validate(const la_batch_input& in) {
  if (in.max_tokens == 0) throw Error(LA_ERR_INVALID_ARGUMENT, "max_tokens must be positive");
  if (in.rows_per_micro_batch == 0) throw Error(LA_ERR_INVALID_ARGUMENT, "rows_per_micro_batch must be positive");
  if (in.n_sequences && (!in.lengths || !in.targets)) throw Error(LA_ERR_INVALID_ARGUMENT, "lengths or targets missing");
  for (size_t i = 0; i < in.n_sequences; ++i)
    if (in.targets[i] > in.lengths[i])
      throw Error(LA_ERR_INVALID_ARGUMENT, "sequence " + std::to_string(i) + " has more targets than tokens");
}

inline void validate(const la_step& step) {
  if (step.n_segments && !step.segments) throw Error(LA_ERR_INVALID_ARGUMENT, "step segments missing");
  if (step.world_size == 0 || step.micro_batches_per_rank == 0)
    throw Error(LA_ERR_INVALID_ARGUMENT, "world_size and micro_batches_per_rank must be positive");
  for (size_t i = 0; i < step.n_segments; ++i) {
    const la_step_segment& s = step.segments[i];
    if (s.targets > s.sequence_targets)
      throw Error(LA_ERR_INVALID_ARGUMENT, "segment " + std::to_string(i) + " has more targets than its sequence");
    if (s.rank >= step.world_size || s.micro_batch >= step.micro_batches_per_rank || s.row >= step.n_rows)
      throw Error(LA_ERR_INVALID_ARGUMENT, "segment " + std::to_string(i) + " lies outside the step");
  }
}

// An instance: the author's object plus what the wrapper keeps alive between calls.
template <typename T>
struct Instance {
  std::unique_ptr<T> object;
  Example example;
  std::string provenance;
  std::vector<la_message> messages;
  Plan plan;
  std::vector<la_dropped> dropped;
  std::vector<double> weights;
};

template <typename T>
int32_t create(const la_host_services* host, const la_value* params, void** instance, la_error* error) {
  return guarded(error, [&] {
    auto inst = std::make_unique<Instance<T>>();
    inst->object = std::make_unique<T>(Params(params), Host(host));
    *instance = inst.release();
    return int32_t{LA_OK};
  });
}

template <typename T>
void destroy(void* instance) {
  delete static_cast<Instance<T>*>(instance);
}

template <typename T>
T& object(void* instance) {
  return *static_cast<Instance<T>*>(instance)->object;
}

template <typename T>
const void* vtable_for(DataSource*) {
  static const la_data_source_vtable v = {
      sizeof(la_data_source_vtable), &create<T>, &destroy<T>,
      [](void* i, uint64_t seed, la_error* e) {
        return guarded(e, [&] { object<T>(i).open(seed); return int32_t{LA_OK}; });
      },
      [](void* i, int64_t* n, la_error* e) {
        return guarded(e, [&] { *n = object<T>(i).count(); return int32_t{LA_OK}; });
      },
      [](void* i, la_example* out, la_error* e) {
        return guarded(e, [&] {
          auto* inst = static_cast<Instance<T>*>(i);
          inst->example = Example{};
          if (!inst->object->next(inst->example)) return int32_t{LA_END};
          inst->messages.clear();
          for (auto& m : inst->example.messages) inst->messages.push_back({str(m.role), str(m.content)});
          la_example x{};
          x.messages = inst->messages.data();
          x.n_messages = inst->messages.size();
          x.text = str(inst->example.text);
          x.source = str(inst->example.source);
          x.task = str(inst->example.task);
          x.metadata_json = str(inst->example.metadata_json);
          SizedArray<la_example>(out, 1, "next()'s example").set(0, x);  // as much as the host's layout holds
          return int32_t{LA_OK};
        });
      },
      [](void* i, la_str* out, la_error* e) {
        return guarded(e, [&] {
          auto* inst = static_cast<Instance<T>*>(i);
          inst->provenance = inst->object->provenance();
          *out = str(inst->provenance);
          return int32_t{LA_OK};
        });
      }};
  return &v;
}

template <typename T>
const void* vtable_for(Batching*) {
  static const la_batching_vtable v = {
      sizeof(la_batching_vtable), &create<T>, &destroy<T>,
      [](void* i, const la_batch_input* in, la_batch_plan* out, la_error* e) {
        return guarded(e, [&] {
          auto* inst = static_cast<Instance<T>*>(i);
          validate(*in);
          inst->plan = inst->object->plan(*in);
          inst->dropped.clear();
          for (auto& [seq, why] : inst->plan.dropped) inst->dropped.push_back({seq, str(why)});
          const Plan& p = inst->plan;
          la_batch_plan x{};
          x.layout = p.layout;
          x.segments = p.segments.data();
          x.n_segments = p.segments.size();
          x.rows = p.rows.data();
          x.n_rows = p.rows.size();
          x.micro_batches = p.micro_batches.data();
          x.n_micro_batches = p.micro_batches.size();
          x.steps = p.steps.data();
          x.n_steps = p.steps.size();
          x.dropped = inst->dropped.data();
          x.n_dropped = inst->dropped.size();
          SizedArray<la_batch_plan>(out, 1, "plan()'s result").set(0, x);
          return int32_t{LA_OK};
        });
      }};
  return &v;
}

template <typename T>
const void* vtable_for(LossWeighting*) {
  static const la_loss_weighting_vtable v = {
      sizeof(la_loss_weighting_vtable), &create<T>, &destroy<T>, T::flags,
      [](void* i, const la_step* step, double* weights, la_error* e) {
        return guarded(e, [&] {
          auto* inst = static_cast<Instance<T>*>(i);
          validate(*step);
          inst->weights.assign(step->n_segments, 0.0);
          inst->object->weigh(*step, inst->weights);
          if (inst->weights.size() != step->n_segments)
            throw Error(LA_ERR_INTERNAL, "weigh() changed the number of weights");
          std::memcpy(weights, inst->weights.data(), step->n_segments * sizeof(double));
          return int32_t{LA_OK};
        });
      }};
  return &v;
}

template <typename T>
const void* vtable_for(Evaluator*) {
  static const la_evaluator_vtable v = {
      sizeof(la_evaluator_vtable), &create<T>, &destroy<T>,
      [](void* i, const la_eval_sink* sink, la_error* e) {
        return guarded(e, [&] { object<T>(i).evaluate(EvalSink(sink)); return int32_t{LA_OK}; });
      }};
  return &v;
}

template <typename T>
int32_t register_plugin(const la_plugin_descriptor** out, la_error* error) {
  return guarded(error, [&] {
    static Plugin plugin = T::describe();
    static const la_plugin_descriptor* d = plugin.descriptor(T::kind, vtable_for<T>(static_cast<T*>(nullptr)));
    *out = d;
    return int32_t{LA_OK};
  });
}

}  // namespace detail
}  // namespace longalign

// Exports the library's entry point for plugin class T.
#define LONGALIGN_PLUGIN(T)                                                                     \
  extern "C" LA_EXPORT int32_t LA_ENTRY_POINT(uint32_t host_api_version,                       \
                                              const la_plugin_descriptor** descriptor,          \
                                              la_error* error) {                                \
    (void)host_api_version;                                                                     \
    return ::longalign::detail::register_plugin<T>(descriptor, error);                          \
  }

#endif  // LONGALIGN_PLUGIN_HPP
