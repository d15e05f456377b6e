#include "maintenance/owner.hpp"

#include <cstdint>
#include <cstdio>

#include "common/fnv1a.hpp"
#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

Json controllerReference(const Json& pm) {
  return Json{{"apiVersion", kGroupVersion},
              {"kind", kKind},
              {"name", pm.value("/metadata/name"_json_pointer, std::string())},
              {"uid", pm.value("/metadata/uid"_json_pointer, std::string())},
              {"controller", true},
              {"blockOwnerDeletion", true}};
}

bool isControlledBy(const Json& child, const Json& pm) {
  const std::string uid = pm.value("/metadata/uid"_json_pointer, std::string());
  const Json refs = child.value("/metadata/ownerReferences"_json_pointer, Json::array());
  if (uid.empty() || !refs.is_array()) return false;
  for (const auto& ref : refs) {
    if (ref.value("uid", "") == uid && ref.value("controller", false)) return true;
  }
  return false;
}

std::string labelValue(const std::string& text) {
  std::string out;
  for (char c : text) out += (alnum(c) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (out.size() > 63) out.resize(63);
  std::size_t start = 0;
  while (start < out.size() && !alnum(out[start])) ++start;
  std::size_t end = out.size();
  while (end > start && !alnum(out[end - 1])) --end;
  return out.substr(start, end - start);
}

std::string ownerLabelValue(const std::string& pmName) {
  constexpr std::size_t kMaxLabelValue = 63;  // k8s.io/apimachinery/pkg/util/validation: LabelValueMaxLength
  if (pmName.size() <= kMaxLabelValue) return labelValue(pmName);
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "-%08x", fnv1a32(pmName));
  return labelValue(pmName.substr(0, kMaxLabelValue - 9)) + suffix;
}

Json childLabels(const std::string& pmName, const std::string& component,
                 const std::string& version) {
  Json l = {{labels::kName, labels::kNameValue},
            {labels::kInstance, ownerLabelValue(pmName)},
            {labels::kComponent, component},
            {labels::kManagedBy, labels::kManagedByValue},
            {labels::kOwner, ownerLabelValue(pmName)}};
  if (!version.empty()) l[labels::kVersion] = labelValue(version);
  return l;
}

}  // namespace pmo::maintenance
