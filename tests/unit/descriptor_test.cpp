// check_descriptor: every field the host relies on is checked, with a message saying which.
#include <gtest/gtest.h>

#include <variant>

#include "plugin/descriptor.h"

namespace longalign::host {
namespace {

int32_t create(const la_host_services*, const la_value*, void**, la_error*) { return LA_OK; }
void destroy(void*) {}
int32_t weigh(void*, const la_step*, double*, la_error*) { return LA_OK; }

struct Fixture {
  la_loss_weighting_vtable vt{sizeof(la_loss_weighting_vtable), create, destroy, 0, weigh};
  const char* choices[2] = {"a", "b"};
  la_param_spec params[2] = {
      {sizeof(la_param_spec), "rows", LA_PARAM_INT, "8", "rows", 1, 1, 1, 64, nullptr, 0},
      {sizeof(la_param_spec), "mode", LA_PARAM_STRING, "\"a\"", "mode", 0, 0, 0, 0, choices, 2}};
  la_plugin_descriptor d{LA_API_VERSION, sizeof(la_plugin_descriptor), "my-plugin", "1.0", "doc",
                         LA_KIND_LOSS_WEIGHTING, params, 2, &vt};
};

std::string error_of(const la_plugin_descriptor& d) {
  auto r = check_descriptor(&d);
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "";
}

TEST(Descriptor, AcceptsAValidDescriptor) {
  Fixture f;
  auto r = check_descriptor(&f.d);
  ASSERT_TRUE(std::holds_alternative<PluginInfo>(r)) << std::get<std::string>(r);
  const PluginInfo& info = std::get<PluginInfo>(r);
  EXPECT_EQ(info.name, "my-plugin");
  EXPECT_EQ(info.kind, LA_KIND_LOSS_WEIGHTING);
  ASSERT_EQ(info.params.size(), 2u);
  EXPECT_EQ(info.params[0].default_value, 8);
  EXPECT_EQ(*info.params[0].max, 64);
  EXPECT_EQ(info.params[1].choices, (std::vector<std::string>{"a", "b"}));
}

TEST(Descriptor, NamesBothVersionsWhenTheApiDiffers) {
  Fixture f;
  f.d.api_version = 7;
  EXPECT_EQ(error_of(f.d), "wrong API version: got 7, this host supports 1");
}

TEST(Descriptor, RejectsNullAndShortStructs) {
  EXPECT_EQ(std::get<std::string>(check_descriptor(nullptr)), "returned no descriptor");
  Fixture f;
  f.d.struct_size = 8;
  EXPECT_EQ(error_of(f.d), "descriptor is 8 bytes, API version 1 needs " + std::to_string(sizeof(la_plugin_descriptor)));
}

TEST(Descriptor, RejectsBadNamesAndMissingFields) {
  for (const char* bad : {"", "Upper", "has space", "9lives", "under_score"}) {
    Fixture f;
    f.d.name = bad;
    EXPECT_EQ(error_of(f.d), "invalid plugin name: use 1-64 characters of [a-z0-9-], starting with a letter") << bad;
  }
  Fixture f;
  f.d.name = nullptr;
  EXPECT_NE(error_of(f.d).find("invalid plugin name"), std::string::npos);
  Fixture g;
  g.d.version = "";
  EXPECT_EQ(error_of(g.d), "plugin 'my-plugin' has no version");
  Fixture h;
  h.d.kind = 9;
  EXPECT_EQ(error_of(h.d), "plugin 'my-plugin' has unknown kind 9");
}

TEST(Descriptor, ChecksTheVtable) {
  Fixture f;
  f.d.vtable = nullptr;
  EXPECT_EQ(error_of(f.d), "plugin 'my-plugin' has no vtable");
  Fixture g;
  g.vt.weigh = nullptr;
  EXPECT_EQ(error_of(g.d), "plugin 'my-plugin' vtable function weigh is NULL");
  Fixture h;
  h.vt.struct_size = 16;
  EXPECT_EQ(error_of(h.d), "plugin 'my-plugin' loss-weighting vtable is 16 bytes, API version 1 needs " +
                               std::to_string(sizeof(la_loss_weighting_vtable)));
  Fixture k;
  k.vt.flags = 0x80;
  EXPECT_EQ(error_of(k.d), "plugin 'my-plugin' unknown loss-weighting flags 128");
}

TEST(Descriptor, ChecksEachParameter) {
  struct Case {
    std::function<void(Fixture&)> mutate;
    std::string error;
  };
  std::vector<Case> cases = {
      {[](Fixture& f) { f.params[0].name = "Rows"; }, "plugin 'my-plugin' parameter #0: invalid name: use 1-64 characters of [a-z0-9_], starting with a letter"},
      {[](Fixture& f) { f.params[1].name = "rows"; }, "plugin 'my-plugin' parameter 'rows' is declared twice"},
      {[](Fixture& f) { f.params[0].type = 17; }, "plugin 'my-plugin' parameter 'rows' has unknown type 17"},
      {[](Fixture& f) { f.params[0].default_json = "8,"; }, "plugin 'my-plugin' parameter 'rows' default is not valid JSON: 8,"},
      {[](Fixture& f) { f.params[0].default_json = "100"; }, "plugin 'my-plugin' parameter 'rows' default 100 is above the maximum 64"},
      {[](Fixture& f) { f.params[0].default_json = "0"; }, "plugin 'my-plugin' parameter 'rows' default 0 is below the minimum 1"},
      {[](Fixture& f) { f.params[0].default_json = "\"8\""; }, "plugin 'my-plugin' parameter 'rows' default expected int, got string \"8\""},
      {[](Fixture& f) { f.params[0].default_json = "8.5"; }, "plugin 'my-plugin' parameter 'rows' default expected int, got number 8.5"},
      {[](Fixture& f) { f.params[0].min = 100; }, "plugin 'my-plugin' parameter 'rows' has a minimum above its maximum"},
      {[](Fixture& f) { f.params[1].default_json = "\"c\""; }, "plugin 'my-plugin' parameter 'mode' default \"c\" is not one of: a, b"},
      {[](Fixture& f) { f.params[1].has_min = 1; }, "plugin 'my-plugin' parameter 'mode' has bounds but is not a number"},
      {[](Fixture& f) { f.params[0].doc = nullptr; }, "plugin 'my-plugin' parameter 'rows' has no doc"},
      {[](Fixture& f) { f.params[0].default_json = nullptr; }, "plugin 'my-plugin' parameter 'rows' has no default"},
      {[](Fixture& f) { f.d.params = nullptr; }, "plugin 'my-plugin' declares parameters but no array"},
  };
  for (auto& c : cases) {
    Fixture f;
    c.mutate(f);
    EXPECT_EQ(error_of(f.d), c.error);
  }
}

TEST(Descriptor, JsonRoundTrip) {
  Fixture f;
  PluginInfo info = std::get<PluginInfo>(check_descriptor(&f.d));
  PluginInfo back = plugin_info_from_json(to_json(info));
  EXPECT_EQ(to_json(back), to_json(info));
  EXPECT_EQ(back.params[1].choices, info.params[1].choices);
}

}  // namespace
}  // namespace longalign::host
