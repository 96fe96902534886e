/* longalign plugin ABI, version 1.
 *
 * The boundary between the longalign host and its plugins is plain C, so a plugin built with
 * another compiler or standard library still loads. A plugin library exports one function,
 * LA_ENTRY_POINT, that hands the host a descriptor: API version, name, version, kind, a typed
 * parameter schema, and the kind's vtable.
 *
 * Rules that keep the boundary stable (see README "SDK versioning"):
 *  - Every struct that crosses starts with `uint32_t struct_size`; structs only grow at the end,
 *    and a reader uses a field only when struct_size covers it.
 *  - An array of such structs is read and written at its writer's stride, the struct_size of its
 *    elements (all equal), never at the reader's sizeof: element i starts at i * struct_size.
 *    (plugin.hpp's SizedArray does this.) An out-parameter's struct_size, set by the caller, says
 *    how much the callee may write. Structs without struct_size (la_str, la_tag, la_message,
 *    la_value, la_segment, la_row, la_range, la_dropped, la_step_segment) never change in v1.
 *  - Strings are pointer + length (la_str), UTF-8, not NUL-terminated unless said.
 *  - Errors come back as a status code plus a message written into a host-provided la_error.
 *  - Memory a plugin allocates, the plugin frees: what a plugin returns through a pointer stays
 *    valid until the next call on the same instance, or until destroy. The same holds for what
 *    the host returns to a plugin from its services.
 *  - No exception crosses the boundary (the C++ wrapper in plugin.hpp catches them).
 */
#ifndef LONGALIGN_PLUGIN_H
#define LONGALIGN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LA_API_VERSION 1u
#define LA_ENTRY_POINT longalign_plugin_register
#define LA_ENTRY_POINT_NAME "longalign_plugin_register"

#if defined(_WIN32)
#define LA_EXPORT __declspec(dllexport)
#else
#define LA_EXPORT __attribute__((visibility("default")))
#endif

/* ---- basics ------------------------------------------------------------------------------ */

typedef struct la_str {
  const char* data;
  size_t size;
} la_str;

typedef enum la_status {
  LA_OK = 0,
  LA_END = 1,                  /* a stream has no more items; not an error */
  LA_ERR_INVALID_ARGUMENT = 2, /* bad parameters or input */
  LA_ERR_UNAVAILABLE = 3,      /* a host service this host does not offer */
  LA_ERR_IO = 4,               /* a file or network failure */
  LA_ERR_INTERNAL = 5          /* a bug or an unexpected state */
} la_status;

#define LA_ERROR_MESSAGE_CAPACITY 1024

/* Filled by the callee when it returns a status other than LA_OK / LA_END. */
typedef struct la_error {
  uint32_t struct_size;
  int32_t code;
  char message[LA_ERROR_MESSAGE_CAPACITY]; /* NUL-terminated, truncated to fit */
} la_error;

/* ---- parameters ---------------------------------------------------------------------------- */

typedef enum la_param_type {
  LA_PARAM_BOOL = 0,
  LA_PARAM_INT = 1,
  LA_PARAM_FLOAT = 2,
  LA_PARAM_STRING = 3,
  LA_PARAM_LIST = 4,
  LA_PARAM_TABLE = 5
} la_param_type;
#define LA_PARAM_TYPE_COUNT 6

/* One entry of a plugin's parameter schema. */
typedef struct la_param_spec {
  uint32_t struct_size;
  const char* name;         /* lower-case identifier: [a-z][a-z0-9_]* */
  uint32_t type;            /* la_param_type */
  const char* default_json; /* the default as a JSON literal, e.g. "8", "0.5", "\"copy\"", "[1,2]" */
  const char* doc;          /* one line for `longalign plugins` */
  int32_t has_min, has_max; /* inclusive numeric bounds, for INT and FLOAT */
  double min, max;
  const char* const* choices; /* allowed values of a STRING, or NULL for any */
  size_t n_choices;
  /* Optional (a reader checks struct_size): LA_PARAM_FLAG_* bits. */
  uint32_t flags;
} la_param_spec;

/* The parameter names files: a STRING, or a LIST or TABLE of strings (or of lists of strings).
 * The host resolves relative values against the directory of the sweep file that sets them, so
 * a sweep can name its data beside itself. */
#define LA_PARAM_FLAG_PATH 1u

/* A parameter value. The host validates values against the schema, fills defaults, and passes
 * every plugin a TABLE holding each parameter of its schema. */
typedef struct la_value {
  uint32_t type; /* la_param_type */
  int32_t boolean;
  int64_t integer;
  double number;
  la_str string;
  const struct la_value* items; /* LIST and TABLE elements */
  const la_str* keys;           /* TABLE keys, one per item */
  size_t n_items;
} la_value;

/* ---- host services (passed to every plugin) ------------------------------------------------ */

typedef enum la_log_level { LA_LOG_DEBUG = 0, LA_LOG_INFO = 1, LA_LOG_WARN = 2, LA_LOG_ERROR = 3 } la_log_level;

typedef struct la_tag {
  la_str key;
  la_str value;
} la_tag;

typedef struct la_message {
  la_str role; /* "system", "user" or "assistant" */
  la_str content;
} la_message;

/* An OpenAI-compatible chat client. */
typedef struct la_chat_request {
  uint32_t struct_size;
  la_str model; /* empty: the client's configured model */
  const la_message* messages;
  size_t n_messages;
  double temperature;
  int32_t max_tokens; /* 0: the endpoint's default */
  uint64_t seed;
} la_chat_request;

typedef struct la_llm_client {
  uint32_t struct_size;
  void* ctx;
  /* reply is host-owned, valid until the next call on this client. */
  int32_t (*chat)(void* ctx, const la_chat_request* request, la_str* reply, la_error* error);
} la_llm_client;

/* The trained model, for evaluators. Batched: one call scores or generates for many requests. */
typedef struct la_score_request {
  uint32_t struct_size;
  const uint32_t* context; /* token ids the continuation is conditioned on */
  size_t n_context;
  const uint32_t* continuation; /* token ids whose log-probabilities are summed */
  size_t n_continuation;
} la_score_request;

typedef struct la_score_result {
  uint32_t struct_size;
  double logprob;   /* sum over the continuation's tokens, natural log */
  int32_t greedy;   /* 1 when every continuation token is the argmax */
  uint32_t n_tokens;
} la_score_result;

typedef struct la_generate_request {
  uint32_t struct_size;
  const uint32_t* prompt;
  size_t n_prompt;
  uint32_t max_new_tokens;
  double temperature; /* 0: greedy */
  uint64_t seed;
} la_generate_request;

typedef struct la_generation {
  uint32_t struct_size;
  const uint32_t* tokens; /* host-owned, valid until the next call on the service */
  size_t n_tokens;
  la_str text; /* the tokens as UTF-8: bytes that form no character become U+FFFD */
} la_generation;

typedef struct la_model_service {
  uint32_t struct_size;
  void* ctx;
  int32_t (*context_size)(void* ctx, uint32_t* tokens, la_error* error);
  /* ids and text are host-owned, valid until the next call on the service. */
  int32_t (*tokenize)(void* ctx, la_str text, const uint32_t** ids, size_t* n_ids, la_error* error);
  int32_t (*detokenize)(void* ctx, const uint32_t* ids, size_t n_ids, la_str* text, la_error* error);
  /* results: n plugin-allocated entries, filled by the host. */
  int32_t (*score)(void* ctx, const la_score_request* requests, size_t n, la_score_result* results,
                   la_error* error);
  int32_t (*generate)(void* ctx, const la_generate_request* requests, size_t n,
                      la_generation* results, la_error* error);
  /* Optional (a reader checks struct_size): a chat as the model was trained to see it, ending
   * where the assistant's reply begins, as token ids (host-owned, valid until the next call).
   * The last message is the user's; generation from these ids answers it. */
  int32_t (*chat_prompt)(void* ctx, const la_message* messages, size_t n_messages, const uint32_t** ids,
                         size_t* n_ids, la_error* error);
} la_model_service;

typedef struct la_host_services {
  uint32_t struct_size;
  uint32_t api_version; /* the host's LA_API_VERSION */
  void* ctx;
  void (*log)(void* ctx, int32_t level, la_str message);
  /* A gauge the host stores and exports, e.g. name "examples_skipped". */
  void (*metric)(void* ctx, la_str name, double value, const la_tag* tags, size_t n_tags);
  /* Always non-NULL; a host that cannot offer a service answers its calls with
   * LA_ERR_UNAVAILABLE and a message saying so. */
  const la_llm_client* llm;
  const la_model_service* model; /* for evaluators */
} la_host_services;

/* ---- plugin kinds ---------------------------------------------------------------------------- */

typedef enum la_plugin_kind {
  LA_KIND_DATA_SOURCE = 0,
  LA_KIND_BATCHING = 1,
  LA_KIND_LOSS_WEIGHTING = 2,
  LA_KIND_EVALUATOR = 3
} la_plugin_kind;
#define LA_KIND_COUNT 4

/* Every instance is made by create() from validated parameters and freed by destroy(). */
#define LA_INSTANCE_FUNCTIONS                                                                      \
  int32_t (*create)(const la_host_services* host, const la_value* params, void** instance,        \
                    la_error* error);                                                              \
  void (*destroy)(void* instance)

/* Data source: yields examples, deterministic given seed and params. */
typedef struct la_example {
  uint32_t struct_size;
  const la_message* messages; /* a chat; n_messages == 0 for plain text */
  size_t n_messages;
  la_str text;          /* plain text (every token a target), when n_messages == 0 */
  la_str source;        /* where it came from, e.g. "arxiv" */
  la_str task;          /* what it asks, e.g. "needle" */
  la_str metadata_json; /* free-form JSON object, may be empty */
} la_example;

typedef struct la_data_source_vtable {
  uint32_t struct_size;
  LA_INSTANCE_FUNCTIONS;
  /* Restart the stream for a seed; the same seed gives the same examples. */
  int32_t (*open)(void* instance, uint64_t seed, la_error* error);
  /* How many examples the stream holds, or -1 when unknown before reading. */
  int32_t (*count)(void* instance, int64_t* n, la_error* error);
  /* LA_OK and an example (plugin-owned, valid until the next call), or LA_END. */
  int32_t (*next)(void* instance, la_example* example, la_error* error);
  /* Optional (a reader checks struct_size and NULL): what the stream has read since open(), as a
   * JSON object, e.g. {"files": ["/data/a.jsonl"], "skipped": 3}. The host records it with the
   * cell's data and adds the SHA-256 of each file that "files" lists. Plugin-owned, valid until
   * the next call. */
  int32_t (*provenance)(void* instance, la_str* json, la_error* error);
} la_data_source_vtable;

/* Batching strategy: sequence lengths -> a plan of optimizer steps of micro-batches of rows. */
typedef enum la_row_layout {
  LA_LAYOUT_PADDED = 0, /* one sequence per row, rows of a micro-batch padded to one width */
  LA_LAYOUT_PACKED = 1  /* several sequences per row, boundaries kept */
} la_row_layout;

typedef struct la_batch_input {
  uint32_t struct_size;
  const uint32_t* lengths; /* tokens of sequence i */
  const uint32_t* targets; /* target tokens of sequence i (N_i) */
  size_t n_sequences;
  uint32_t max_tokens;           /* a row's token budget */
  uint32_t rows_per_micro_batch; /* rows in one forward/backward pass */
  uint32_t sequences_per_step;   /* group micro-batches into optimizer steps by sequences, or */
  uint64_t tokens_per_step;      /* by real tokens; 0 = unused. One of the two is non-zero. */
  uint64_t seed;
  uint32_t epoch;
} la_batch_input;

/* A contiguous piece of a sequence placed in a row: tokens [offset, offset + length). */
typedef struct la_segment {
  uint32_t sequence;
  uint32_t offset;
  uint32_t length;
} la_segment;

typedef struct la_row {
  uint32_t first_segment; /* index into segments */
  uint32_t n_segments;
  uint32_t width; /* token slots of the row, padding included */
} la_row;

typedef struct la_range {
  uint32_t first;
  uint32_t count;
} la_range;

typedef struct la_dropped {
  uint32_t sequence;
  la_str reason; /* e.g. "longer than max_tokens" */
} la_dropped;

/* Every array is plugin-owned, valid until the next plan() or destroy(). */
typedef struct la_batch_plan {
  uint32_t struct_size;
  uint32_t layout; /* la_row_layout */
  const la_segment* segments;
  size_t n_segments;
  const la_row* rows;
  size_t n_rows;
  const la_range* micro_batches; /* ranges of rows */
  size_t n_micro_batches;
  const la_range* steps; /* ranges of micro-batches */
  size_t n_steps;
  const la_dropped* dropped;
  size_t n_dropped;
} la_batch_plan;

typedef struct la_batching_vtable {
  uint32_t struct_size;
  LA_INSTANCE_FUNCTIONS;
  int32_t (*plan)(void* instance, const la_batch_input* input, la_batch_plan* plan,
                  la_error* error);
} la_batching_vtable;

/* Loss weighting: one optimizer step's structure -> a weight per segment, applied to each
 * target token of that segment. The host computes sum_t w_t * l_t over every micro-batch and
 * rank of the step and sums gradients, so all normalisation lives in the weights. */
typedef struct la_step_segment {
  uint32_t sequence;
  uint32_t rank;
  uint32_t micro_batch; /* index within the rank, 0-based */
  uint32_t row;         /* index within the step, 0-based, unique across ranks */
  uint32_t targets;     /* target tokens inside this segment */
  uint32_t sequence_targets; /* N_i: target tokens of the whole sequence (pieces share it) */
} la_step_segment;

typedef struct la_step {
  uint32_t struct_size;
  const la_step_segment* segments;
  size_t n_segments;
  uint32_t n_rows;
  uint32_t world_size;
  uint32_t micro_batches_per_rank; /* gradient accumulation steps */
} la_step;

/* Flags of a loss weighting. */
#define LA_WEIGHTS_UNNORMALIZED 1u /* its weights need not sum to 1 (it reproduces a flaw) */

typedef struct la_loss_weighting_vtable {
  uint32_t struct_size;
  LA_INSTANCE_FUNCTIONS;
  uint32_t flags;
  /* weights: n_segments host-allocated entries. */
  int32_t (*weigh)(void* instance, const la_step* step, double* weights, la_error* error);
} la_loss_weighting_vtable;

/* Evaluator: uses the model service (and the LLM client, as a judge) and reports metrics. */
typedef struct la_eval_sink {
  uint32_t struct_size;
  void* ctx;
  void (*metric)(void* ctx, la_str name, double value, const la_tag* tags, size_t n_tags);
  void (*artifact)(void* ctx, la_str name, la_str media_type, const void* data, size_t size);
  /* Optional (a reader checks struct_size): the examples the sweep gave this evaluation (its
   * [[evaluate]] entry's `data`), host-owned for the duration of evaluate(); none: 0. */
  const la_example* examples;
  size_t n_examples;
} la_eval_sink;

typedef struct la_evaluator_vtable {
  uint32_t struct_size;
  LA_INSTANCE_FUNCTIONS;
  int32_t (*evaluate)(void* instance, const la_eval_sink* sink, la_error* error);
} la_evaluator_vtable;

/* ---- the descriptor ------------------------------------------------------------------------- */

typedef struct la_plugin_descriptor {
  uint32_t api_version; /* LA_API_VERSION the plugin was built against; first, never moves */
  uint32_t struct_size;
  const char* name;    /* unique, [a-z][a-z0-9-]*, at most 64 bytes */
  const char* version; /* the plugin's own version, e.g. "1.2.0" */
  const char* description;
  uint32_t kind; /* la_plugin_kind */
  const la_param_spec* params;
  size_t n_params;
  const void* vtable; /* la_<kind>_vtable, starting with its struct_size */
} la_plugin_descriptor;

/* The entry point. The host passes its API version; the plugin returns LA_OK and a descriptor
 * that lives as long as the library, or an error. */
typedef int32_t (*la_entry_point_fn)(uint32_t host_api_version,
                                     const la_plugin_descriptor** descriptor, la_error* error);

#ifdef __cplusplus
}
#endif

#endif /* LONGALIGN_PLUGIN_H */
