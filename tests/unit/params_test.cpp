// Plugin parameters: schema checks with located messages, defaults, and the la_value tree.
#include <gtest/gtest.h>

#include <longalign/plugin.hpp>

#include "plugin/params.h"

namespace longalign::host {
namespace {

PluginInfo schema() {
  PluginInfo info;
  info.name = "packing";
  info.params.push_back({"max_tokens", LA_PARAM_INT, 4096, "", 1.0, std::nullopt, {}});
  info.params.push_back({"algorithm", LA_PARAM_STRING, "next-fit", "", std::nullopt, std::nullopt, {"next-fit", "best-fit-decreasing"}});
  info.params.push_back({"temperature", LA_PARAM_FLOAT, 0.5, "", 0.0, 2.0, {}});
  info.params.push_back({"sources", LA_PARAM_LIST, nlohmann::json::array({"a"}), "", std::nullopt, std::nullopt, {}});
  return info;
}

std::string error_of(const nlohmann::json& given) {
  try {
    resolve_params(schema(), given);
  } catch (const ParamError& e) {
    return e.key() + ": " + e.what();
  }
  return "";
}

TEST(Params, FillsDefaults) {
  auto p = resolve_params(schema(), {{"max_tokens", 64}});
  EXPECT_EQ(p["max_tokens"], 64);
  EXPECT_EQ(p["algorithm"], "next-fit");
  EXPECT_EQ(p["sources"], nlohmann::json::array({"a"}));
  EXPECT_EQ(resolve_params(schema(), nullptr).size(), 4u);
}

TEST(Params, UnknownKeySuggestsTheNearestName) {
  EXPECT_EQ(error_of({{"max_token", 5}}),
            "max_token: plugin 'packing' has no parameter 'max_token' (did you mean 'max_tokens'?)");
  EXPECT_EQ(error_of({{"zzz", 5}}), "zzz: plugin 'packing' has no parameter 'zzz'");
}

TEST(Params, WrongTypesAndRanges) {
  EXPECT_EQ(error_of({{"max_tokens", "64"}}), "max_tokens: plugin 'packing' parameter 'max_tokens': expected int, got string \"64\"");
  EXPECT_EQ(error_of({{"max_tokens", 0}}), "max_tokens: plugin 'packing' parameter 'max_tokens': 0 is below the minimum 1");
  EXPECT_EQ(error_of({{"temperature", 3.5}}), "temperature: plugin 'packing' parameter 'temperature': 3.5 is above the maximum 2");
  EXPECT_EQ(error_of({{"algorithm", "first-fit"}}),
            "algorithm: plugin 'packing' parameter 'algorithm': \"first-fit\" is not one of: next-fit, best-fit-decreasing");
  EXPECT_EQ(error_of(nlohmann::json::array()), ": parameters of plugin 'packing' must be a table");
}

TEST(Params, IntegerForAFloatStaysAFloat) {
  auto p = resolve_params(schema(), {{"temperature", 1}});
  EXPECT_TRUE(p["temperature"].is_number_float());
}

TEST(Params, ValueTreeReadsBackThroughTheSdk) {
  nlohmann::json j = {{"n", 3}, {"x", 0.25}, {"on", true}, {"name", "abc"}, {"list", {1, 2, 3}}, {"t", {{"k", "v"}}}};
  ValueTree tree(j);
  longalign::Params p(tree.root());
  EXPECT_EQ(p.get_int("n"), 3);
  EXPECT_DOUBLE_EQ(p.get_float("x"), 0.25);
  EXPECT_DOUBLE_EQ(p.get_float("n"), 3.0);
  EXPECT_TRUE(p.get_bool("on"));
  EXPECT_EQ(p.get_string("name"), "abc");
  EXPECT_EQ(p.at("list").size(), 3u);
  EXPECT_EQ(p.at("list")[2].as_int(), 3);
  EXPECT_EQ(p.at("t").find("k")->as_string(), "v");
  EXPECT_THROW(p.get_int("name"), longalign::Error);
  EXPECT_THROW(p.at("missing"), longalign::Error);
}

}  // namespace
}  // namespace longalign::host
