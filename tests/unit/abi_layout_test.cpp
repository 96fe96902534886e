// The plugin ABI's growing structs against the copies of their layouts in fixtures/abi/layouts.h,
// which the compatibility fixtures are built from. A struct in plugin.h that grew without its new
// layout being copied there (and so without a fixture of the old one) fails here; and the SDK's
// SizedArray reads and writes arrays of any of those layouts.
#include <gtest/gtest.h>

#include <longalign/plugin.hpp>

#include "layouts.h"

namespace longalign {
namespace {

#define SAME_FIELD(now, copy, field) \
  EXPECT_EQ(offsetof(now, field), offsetof(copy, field)) << #now "." #field " moved: structs only grow at the end"

const char* const kGrew =
    " grew: copy its new layout into tests/fixtures/abi/layouts.h as the next _v1_<n>, point its _next at it, "
    "and build the abi fixtures with an element of the old one";

TEST(AbiLayouts, ParamSpecIsItsNewestCopiedLayout) {
  EXPECT_EQ(sizeof(la_param_spec), sizeof(la_param_spec_v1_1)) << "la_param_spec" << kGrew;
  SAME_FIELD(la_param_spec, la_param_spec_v1_1, name);
  SAME_FIELD(la_param_spec, la_param_spec_v1_1, default_json);
  SAME_FIELD(la_param_spec, la_param_spec_v1_1, n_choices);
  SAME_FIELD(la_param_spec, la_param_spec_v1_1, flags);
  EXPECT_EQ(first_layout_size<la_param_spec>(), sizeof(la_param_spec_v1_0));
}

TEST(AbiLayouts, ExampleIsItsNewestCopiedLayout) {
  EXPECT_EQ(sizeof(la_example), sizeof(la_example_v1_0)) << "la_example" << kGrew;
  SAME_FIELD(la_example, la_example_v1_0, messages);
  SAME_FIELD(la_example, la_example_v1_0, text);
  SAME_FIELD(la_example, la_example_v1_0, metadata_json);
  EXPECT_EQ(first_layout_size<la_example>(), sizeof(la_example_v1_0));
}

TEST(AbiLayouts, ModelServiceRequestsAndResultsAreTheirNewestCopiedLayouts) {
  EXPECT_EQ(sizeof(la_score_request), sizeof(la_score_request_v1_0)) << "la_score_request" << kGrew;
  SAME_FIELD(la_score_request, la_score_request_v1_0, n_continuation);
  EXPECT_EQ(sizeof(la_score_result), sizeof(la_score_result_v1_0)) << "la_score_result" << kGrew;
  SAME_FIELD(la_score_result, la_score_result_v1_0, n_tokens);
  EXPECT_EQ(sizeof(la_generate_request), sizeof(la_generate_request_v1_0)) << "la_generate_request" << kGrew;
  SAME_FIELD(la_generate_request, la_generate_request_v1_0, seed);
  EXPECT_EQ(sizeof(la_generation), sizeof(la_generation_v1_0)) << "la_generation" << kGrew;
  SAME_FIELD(la_generation, la_generation_v1_0, text);
}

TEST(SizedArray, ReadsAnOlderLayoutAtItsOwnStrideAndZeroesWhatItLacks) {
  std::vector<la_param_spec_v1_0> old(3);
  const char* names[] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    old[i].struct_size = sizeof(la_param_spec_v1_0);
    old[i].name = names[i];
    old[i].max = i;
  }
  SizedArray<const la_param_spec> specs(reinterpret_cast<const la_param_spec*>(old.data()), 3, "specs");
  ASSERT_EQ(specs.stride(), sizeof(la_param_spec_v1_0));
  for (int i = 0; i < 3; ++i) {
    la_param_spec s = specs.get(i);
    EXPECT_STREQ(s.name, names[i]);
    EXPECT_EQ(s.max, i);
    EXPECT_EQ(s.flags, 0u) << "a field the writer's layout lacks reads as zero";
  }
}

TEST(SizedArray, RefusesAnUnsetStructSizeWhereTheStrideIsAmbiguous) {
  // Built against this header without setting struct_size: element 1 starts at 88, not at the
  // first layout's 80, where a reader taking 0 as the first layout would find its name pointer.
  std::vector<la_param_spec> specs(2);
  specs[0].name = "a";
  specs[1].name = "b";
  try {
    SizedArray<const la_param_spec>(specs.data(), 2, "parameter specs");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("element 0 leaves struct_size at 0"), std::string::npos) << e.what();
  }
  SizedArray<const la_param_spec> one(specs.data(), 1, "parameter specs");  // one element has no stride to get wrong
  EXPECT_STREQ(one.get(0).name, "a");
  std::vector<la_score_request> req(2);  // a struct with one layout so far: 0 still means it
  EXPECT_EQ(SizedArray<const la_score_request>(req.data(), 2, "score requests").stride(), sizeof(la_score_request));
}

TEST(SizedArray, WritesANewerLayoutLeavingItsExtraFieldAlone) {
  std::vector<la_score_result_next> out(4);
  for (auto& r : out) {
    r.now.struct_size = sizeof r;
    r.added = 77;
  }
  SizedArray<la_score_result> results(reinterpret_cast<la_score_result*>(out.data()), 4, "results");
  for (size_t i = 0; i < 4; ++i) results.set(i, {0, -1.0 * i, 1, static_cast<uint32_t>(i)});
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i].now.logprob, -1.0 * i);
    EXPECT_EQ(out[i].now.n_tokens, i);
    EXPECT_EQ(out[i].now.struct_size, sizeof(la_score_result)) << "what the host wrote, for the reader to check";
    EXPECT_EQ(out[i].added, 77u);
  }
}

TEST(SizedArray, RefusesElementsBelowTheFirstLayoutOrOfMixedSizes) {
  std::vector<la_score_request> req(2);
  req[0].struct_size = sizeof(la_score_request);
  req[1].struct_size = sizeof(la_score_request);
  try {
    req[0].struct_size = 8;
    SizedArray<const la_score_request>(req.data(), 2, "score requests");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "score requests: elements of 8 bytes, below the first layout's 40");
    EXPECT_EQ(e.code(), LA_ERR_INVALID_ARGUMENT);
  }
  req[0].struct_size = sizeof(la_score_request);
  req[1].struct_size = 48;
  EXPECT_THROW(SizedArray<const la_score_request>(req.data(), 2, "score requests"), Error);
  EXPECT_THROW(SizedArray<const la_score_request>(nullptr, 2, "score requests"), Error);
  EXPECT_EQ(SizedArray<const la_score_request>(nullptr, 0, "score requests").size(), 0u);
}

TEST(SizedArray, ElementsThatNeverSetTheirSizeAreTheFirstLayout) {
  std::vector<la_generate_request> req(3);  // struct_size left 0, as a C plugin may have
  for (uint32_t i = 0; i < 3; ++i) req[i].max_new_tokens = i + 1;
  SizedArray<const la_generate_request> requests(req.data(), 3, "generate requests");
  EXPECT_EQ(requests.stride(), sizeof(la_generate_request));
  EXPECT_EQ(requests.get(2).max_new_tokens, 3u);
}

TEST(SizedArray, EvalSinkReadsExamplesOfANewerHostsLayout) {
  std::vector<la_example_next> carried(3);
  const char* tasks[] = {"one", "two", "three"};
  for (int i = 0; i < 3; ++i) {
    carried[i].now.struct_size = sizeof(la_example_next);
    carried[i].now.task = {tasks[i], std::strlen(tasks[i])};
    carried[i].added = 5;
  }
  la_eval_sink sink{};
  sink.struct_size = sizeof sink;
  sink.examples = reinterpret_cast<const la_example*>(carried.data());
  sink.n_examples = carried.size();
  auto examples = EvalSink(&sink).examples();
  ASSERT_EQ(examples.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(examples[i].task, tasks[i]);
}

}  // namespace
}  // namespace longalign
