// A PhaseMaintenance named near the 253-character limit: its children's owner label is a
// bounded hash, valid as Kubernetes requires, and it maps back to the resource through the
// store's index, not by reading the label as a (truncated) name.
#include <gtest/gtest.h>

#include <regex>

#include "controller/cluster_view.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/owner.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {
namespace {

namespace labels = maintenance::labels;

// k8s.io/apimachinery/pkg/util/validation: IsValidLabelValue.
bool validLabelValue(const std::string& v) {
  static const std::regex re("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  return v.size() <= 63 && std::regex_match(v, re);
}

Json pmNamed(const std::string& name, const std::string& ns = "phase") {
  return Json{{"metadata", {{"name", name}, {"namespace", ns}, {"uid", "u-" + name.substr(name.size() - 3)}}}};
}

Json childOf(const std::string& pmName, const std::string& ns = "phase") {
  return Json{{"metadata",
               {{"name", "phase-purge-x"}, {"namespace", ns}, {"labels", maintenance::childLabels(pmName, "purge")}}}};
}

TEST(LongNames, TheOwnerLabelOfA253CharacterNameIsAValidBoundedHash) {
  const std::string a = std::string(120, 'a') + "." + std::string(132, 'b');
  const std::string b = std::string(120, 'a') + "." + std::string(131, 'b') + "c";
  ASSERT_EQ(a.size(), 253u);
  const Json la = maintenance::childLabels(a, labels::kComponentPurge);
  const std::string owner = la[labels::kOwner];
  EXPECT_TRUE(validLabelValue(owner)) << owner;
  EXPECT_TRUE(validLabelValue(la[labels::kInstance])) << la[labels::kInstance];
  EXPECT_NE(owner, maintenance::ownerLabelValue(b)) << "names sharing 63 characters must not share a label";
  EXPECT_EQ(owner, maintenance::ownerLabelValue(a)) << "stable";
  EXPECT_EQ(maintenance::ownerLabelValue("phase"), "phase") << "short names are their own label";
}

TEST(LongNames, AChildWakesItsLongNamedOwnerThroughTheIndex) {
  runtime::Store pms;
  pms.addIndex(kOwnerLabelIndex, ownerLabelOf);
  const std::string a = std::string(200, 'a') + std::string(53, 'x');
  const std::string b = std::string(200, 'a') + std::string(53, 'y');
  pms.upsert(std::make_shared<const Json>(pmNamed(a)));
  pms.upsert(std::make_shared<const Json>(pmNamed(b)));
  pms.upsert(std::make_shared<const Json>(pmNamed(a, "other")));
  EXPECT_EQ(keysByOwnerLabel(pms, childOf(a)), std::vector<std::string>{"phase/" + a});
  EXPECT_EQ(keysByOwnerLabel(pms, childOf(b)), std::vector<std::string>{"phase/" + b});
  EXPECT_EQ(keysByOwnerLabel(pms, childOf(a, "other")), std::vector<std::string>{"other/" + a});
  EXPECT_TRUE(keysByOwnerLabel(pms, childOf("gone")).empty());
}

}  // namespace
}  // namespace pmo::controller
