// Pod specs and pod templates: pkg/apis/core/validation/validation.go (1.32) —
// ValidatePodTemplateSpec, ValidatePodSpec, ValidateVolumes, validateContainers /
// validateInitContainers / validateContainerCommon, validateContainerPorts, ValidateEnv,
// validateEnvFrom, ValidateVolumeMounts, ValidateContainerResourceRequirements,
// validateRestartPolicy (probes: validation_probe.cpp), validateDNSPolicy. Fields the API server defaults
// (protocol TCP, fieldRef apiVersion v1, a volume without a source being an emptyDir) count
// as defaulted when absent.
#include <cmath>
#include <set>

#include "sandbox/builtin_fields.hpp"
#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

const char* kFileModeError = "must be a number between 0 and 0777 (octal), both inclusive";

void fileMode(Errors& e, const Json& o, const char* key, const std::string& path) {
  auto m = integer(o, key);
  if (m && (*m < 0 || *m > 0777)) e.invalidAs(path, std::to_string(*m), kFileModeError);
}

// resource.Quantity's value, for comparisons (requests <= limits).
std::optional<long double> quantityValue(const Json& q) {
  if (q.is_number()) return q.get<long double>();
  if (!q.is_string()) return std::nullopt;
  const std::string s = q.get<std::string>();
  size_t end = 0;
  long double v;
  try {
    v = std::stold(s, &end);
  } catch (...) {
    return std::nullopt;
  }
  const std::string suffix = s.substr(end);
  static const std::pair<const char*, long double> mult[] = {
      {"", 1}, {"n", 1e-9L}, {"u", 1e-6L}, {"m", 1e-3L}, {"k", 1e3L}, {"M", 1e6L}, {"G", 1e9L}, {"T", 1e12L},
      {"P", 1e15L}, {"E", 1e18L}, {"Ki", 1024.0L}, {"Mi", 1048576.0L}, {"Gi", 1073741824.0L},
      {"Ti", 1099511627776.0L}, {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L}};
  for (const auto& [k, m] : mult)
    if (suffix == k) return v * m;
  return v;  // an exponent was consumed by stold
}

std::string quantityText(const Json& q) { return q.is_string() ? q.get<std::string>() : q.dump(); }

void volumes(Errors& e, const Json& list, const std::string& path, std::set<std::string>& names) {
  // validateVolumeSource's order: the second source present is the one reported
  static const std::vector<std::string> order = {
      "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
      "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "quobyte", "cinder", "cephfs", "downwardAPI", "fc",
      "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk", "portworxVolume", "projected", "scaleIO",
      "configMap", "storageos", "csi", "ephemeral", "image"};
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& v = list[i];
    const std::string p = idx(path, i);
    Errors el;
    int sources = 0;
    for (const auto& s : order) {
      if (!has(v, s.c_str())) continue;
      if (sources++ > 0) {
        el.forbidden(p + "." + s, "may not specify more than 1 volume type");
        continue;
      }
      const Json& src = v[s];
      if (s == "secret") {
        if (str(src, "secretName").empty()) el.required(p + ".secret.secretName");
        fileMode(el, src, "defaultMode", p + ".secret.defaultMode");
      } else if (s == "configMap") {
        if (str(src, "name").empty()) el.required(p + ".configMap.name");
        fileMode(el, src, "defaultMode", p + ".configMap.defaultMode");
      } else if (s == "persistentVolumeClaim") {
        if (str(src, "claimName").empty()) el.required(p + ".persistentVolumeClaim.claimName");
      } else if (s == "hostPath") {
        if (str(src, "path").empty()) el.required(p + ".hostPath.path");
      }
    }
    const std::string name = str(v, "name");
    if (name.empty()) el.required(p + ".name");
    else
      for (const auto& m : isDns1123Label(name)) el.invalid(p + ".name", Json(name), m);
    if (names.count(name)) el.duplicate(p + ".name", Json(name));
    if (el.empty()) names.insert(name);
    e.add(el);
  }
}

void ports(Errors& e, const Json& list, const std::string& path) {
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = idx(path, i);
    const std::string name = str(list[i], "name");
    if (!name.empty()) {
      auto msgs = isValidPortName(name);
      for (const auto& m : msgs) e.invalid(p + ".name", Json(name), m);
      if (msgs.empty() && !names.insert(name).second) e.duplicate(p + ".name", Json(name));
    }
    auto cp = integer(list[i], "containerPort");
    if (!cp || *cp == 0) e.required(p + ".containerPort");
    else
      for (const auto& m : isValidPortNum(*cp)) e.invalidAs(p + ".containerPort", std::to_string(*cp), m);
    auto hp = integer(list[i], "hostPort");
    if (hp && *hp != 0)
      for (const auto& m : isValidPortNum(*hp)) e.invalidAs(p + ".hostPort", std::to_string(*hp), m);
    const std::string proto = str(list[i], "protocol");  // "" is defaulted to TCP
    if (!proto.empty() && proto != "TCP" && proto != "UDP" && proto != "SCTP")
      e.notSupported(p + ".protocol", Json(proto), {"SCTP", "TCP", "UDP"});
  }
}

void keySelector(Errors& e, const Json& ref, const std::string& path) {
  const std::string name = str(ref, "name");
  for (const auto& m : isDns1123Subdomain(name)) e.invalid(path + ".name", Json(name), m);
  const std::string key = str(ref, "key");
  if (key.empty()) e.required(path + ".key");
  else
    for (const auto& m : isConfigMapKey(key)) e.invalid(path + ".key", Json(key), m);
}

void fieldRef(Errors& e, const Json& ref, const std::string& path) {
  if (has(ref, "apiVersion") && str(ref, "apiVersion").empty()) e.required(path + ".apiVersion");
  const std::string fp = str(ref, "fieldPath");
  if (fp.empty()) return e.required(path + ".fieldPath");
  for (const char* subscripted : {"metadata.labels['", "metadata.annotations['"})
    if (fp.rfind(subscripted, 0) == 0 && fp.size() > 2 && fp.compare(fp.size() - 2, 2, "']") == 0) return;
  static const std::vector<std::string> supported = {
      "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
      "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"};
  if (std::find(supported.begin(), supported.end(), fp) == supported.end())
    e.notSupported(path + ".fieldPath", Json(fp), supported);
}

void env(Errors& e, const Json& list, const std::string& path) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = idx(path, i);
    const Json& ev = list[i];
    const std::string name = str(ev, "name");
    if (name.empty()) e.required(p + ".name");
    else
      for (const auto& m : isRelaxedEnvVarName(name)) e.invalid(p + ".name", Json(name), m);
    if (!has(ev, "valueFrom")) continue;
    const Json& from = ev["valueFrom"];
    const std::string fp = p + ".valueFrom";
    int sources = 0;
    if (has(from, "fieldRef")) ++sources, fieldRef(e, from["fieldRef"], fp + ".fieldRef");
    if (has(from, "resourceFieldRef")) {
      ++sources;
      if (str(from["resourceFieldRef"], "resource").empty()) e.required(fp + ".resourceFieldRef.resource");
    }
    if (has(from, "configMapKeyRef")) ++sources, keySelector(e, from["configMapKeyRef"], fp + ".configMapKeyRef");
    if (has(from, "secretKeyRef")) ++sources, keySelector(e, from["secretKeyRef"], fp + ".secretKeyRef");
    if (sources == 0)
      e.invalid(fp, Json(""), "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
    else if (!str(ev, "value").empty()) e.invalid(fp, Json(""), "may not be specified when `value` is not empty");
    else if (sources > 1) e.invalid(fp, Json(""), "may not have more than one field specified at a time");
  }
}

void envFrom(Errors& e, const Json& list, const std::string& path) {
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = idx(path, i);
    const std::string prefix = str(list[i], "prefix");
    if (!prefix.empty())
      for (const auto& m : isRelaxedEnvVarName(prefix)) e.invalid(p + ".prefix", Json(prefix), m);
    int sources = 0;
    for (const char* ref : {"configMapRef", "secretRef"}) {
      if (!has(list[i], ref)) continue;
      ++sources;
      const std::string name = str(list[i][ref], "name");
      if (name.empty()) e.required(p + "." + ref + ".name");
      else
        for (const auto& m : checkName(NameRule::Dns1123Subdomain, name, true))
          e.invalid(p + "." + ref + ".name", Json(name), m);
    }
    if (sources == 0) e.invalid(path, Json(""), "must specify one of: `configMapRef` or `secretRef`");
    else if (sources > 1) e.invalid(path, Json(""), "may not have more than one field specified at a time");
  }
}

void volumeMounts(Errors& e, const Json& list, const std::string& path, const std::set<std::string>& vols) {
  std::set<std::string> mountPoints;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = idx(path, i);
    const std::string name = str(list[i], "name"), mountPath = str(list[i], "mountPath");
    if (name.empty()) e.required(p + ".name");
    if (!vols.count(name)) e.notFound(p + ".name", Json(name));
    if (mountPath.empty()) e.required(p + ".mountPath");
    if (!mountPoints.insert(mountPath).second) e.invalid(p + ".mountPath", Json(mountPath), "must be unique");
    const std::string subPath = str(list[i], "subPath");
    if (!subPath.empty() && subPath[0] == '/') e.invalid(path + ".subPath", Json(subPath), "must be a relative path");
    if (subPath == ".." || subPath.rfind("../", 0) == 0 || subPath.find("/../") != std::string::npos ||
        (subPath.size() >= 3 && subPath.compare(subPath.size() - 3, 3, "/..") == 0))
      e.invalid(path + ".subPath", Json(subPath), "must not contain '..'");
  }
}

void resources(Errors& e, const Json& res, const std::string& path) {
  const Json& limits = obj(res, "limits");
  const Json& requests = obj(res, "requests");
  auto checkName = [&](const std::string& name, const std::string& p) {
    for (const auto& m : isQualifiedName(name)) e.invalid(p, Json(name), m);
    if (name.find('/') == std::string::npos && name != "cpu" && name != "memory" && name != "ephemeral-storage" &&
        name.rfind("hugepages-", 0) != 0)
      e.invalid(p, Json(name), "must be a standard resource for containers");
  };
  for (auto it = limits.begin(); it != limits.end(); ++it) {
    checkName(it.key(), path + ".limits[" + it.key() + "]");
    auto v = quantityValue(*it);
    if (v && *v < 0) e.invalid(path + ".limits[" + it.key() + "]", Json(quantityText(*it)), "must be greater than or equal to 0");
  }
  for (auto it = requests.begin(); it != requests.end(); ++it) {
    checkName(it.key(), path + ".requests[" + it.key() + "]");
    auto v = quantityValue(*it);
    if (v && *v < 0) e.invalid(path + ".requests[" + it.key() + "]", Json(quantityText(*it)), "must be greater than or equal to 0");
    if (!limits.contains(it.key())) continue;
    auto lim = quantityValue(limits[it.key()]);
    if (!v || !lim) continue;
    const bool overcommit = it.key() == "cpu" || it.key() == "memory" || it.key() == "ephemeral-storage";
    if (!overcommit && *v != *lim)
      e.invalid(path + ".requests", Json(quantityText(*it)),
                "must be equal to " + it.key() + " limit of " + quantityText(limits[it.key()]));
    else if (*v > *lim)
      e.invalid(path + ".requests", Json(quantityText(*it)),
                "must be less than or equal to " + it.key() + " limit of " + quantityText(limits[it.key()]));
  }
}

void container(Errors& e, const Json& c, const std::string& p, const std::set<std::string>& vols) {
  const std::string name = str(c, "name");
  if (name.empty()) e.required(p + ".name");
  else
    for (const auto& m : isDns1123Label(name)) e.invalid(p + ".name", Json(name), m);
  if (str(c, "image").empty()) e.required(p + ".image");
  const std::string t = str(c, "terminationMessagePolicy");  // "" is defaulted to File
  if (!t.empty() && t != "File" && t != "FallbackToLogsOnError")
    e.notSupported(p + ".terminationMessagePolicy", Json(t), {"File", "FallbackToLogsOnError"});
  ports(e, arr(c, "ports"), p + ".ports");
  env(e, arr(c, "env"), p + ".env");
  envFrom(e, arr(c, "envFrom"), p + ".envFrom");
  volumeMounts(e, arr(c, "volumeMounts"), p + ".volumeMounts", vols);
  const std::string pp = str(c, "imagePullPolicy");  // "" is defaulted from the image's tag
  if (!pp.empty() && pp != "Always" && pp != "IfNotPresent" && pp != "Never")
    e.notSupported(p + ".imagePullPolicy", Json(pp), {"Always", "IfNotPresent", "Never"});
  resources(e, obj(c, "resources"), p + ".resources");
}

void containers(Errors& e, const Json& spec, const std::string& path, const std::set<std::string>& vols) {
  const Json& list = arr(spec, "containers");
  if (list.empty()) e.required(path + ".containers");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = idx(path + ".containers", i);
    container(e, list[i], p, vols);
    if (!names.insert(str(list[i], "name")).second) e.duplicate(p + ".name", Json(str(list[i], "name")));
    if (has(list[i], "restartPolicy")) e.forbidden(p + ".restartPolicy", "may not be set for non-init containers");
    containerProbes(e, list[i], p, false);
  }
  const Json& init = arr(spec, "initContainers");
  for (size_t i = 0; i < init.size(); ++i) {
    const std::string p = idx(path + ".initContainers", i);
    container(e, init[i], p, vols);
    if (!names.insert(str(init[i], "name")).second) e.duplicate(p + ".name", Json(str(init[i], "name")));
    if (has(init[i], "restartPolicy") && str(init[i], "restartPolicy") != "Always")
      e.notSupported(p + ".restartPolicy", init[i]["restartPolicy"], {"Always"});
    containerProbes(e, init[i], p, true);
  }
}

}  // namespace

void podSpec(Errors& e, const Json& spec, const std::string& path, bool) {
  std::set<std::string> vols;
  volumes(e, arr(spec, "volumes"), path + ".volumes", vols);
  containers(e, spec, path, vols);
  // "" is defaulted (Always, ClusterFirst) on every write, as decoding defaults
  const std::string restart = str(spec, "restartPolicy");
  if (!restart.empty() && restart != "Always" && restart != "OnFailure" && restart != "Never")
    e.notSupported(path + ".restartPolicy", Json(restart), {"Always", "OnFailure", "Never"});
  const std::string dns = str(spec, "dnsPolicy");
  if (!dns.empty() && dns != "ClusterFirstWithHostNet" && dns != "ClusterFirst" && dns != "Default" && dns != "None")
    e.notSupported(path + ".dnsPolicy", Json(dns), {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  validateLabels(e, obj(spec, "nodeSelector"), path + ".nodeSelector");
  const std::string sa = str(spec, "serviceAccountName");
  if (!sa.empty())
    for (const auto& m : isDns1123Subdomain(sa)) e.invalid(path + ".serviceAccountName", Json(sa), m);
  auto deadline = integer(spec, "activeDeadlineSeconds");
  if (deadline && (*deadline < 1 || *deadline > 2147483647LL))
    e.invalidAs(path + ".activeDeadlineSeconds", std::to_string(*deadline), inclusiveRangeError(1, 2147483647LL));
  for (const char* f : {"hostname", "subdomain"}) {
    const std::string v = str(spec, f);
    if (!v.empty())
      for (const auto& m : isDns1123Label(v)) e.invalid(path + "." + f, Json(v), m);
  }
}

void podTemplateSpec(Errors& e, const Json& tmpl, const std::string& path) {
  const Json& meta = obj(tmpl, "metadata");
  validateLabels(e, obj(meta, "labels"), path + ".labels");
  validateAnnotations(e, obj(meta, "annotations"), path + ".annotations");
  const Json& spec = obj(tmpl, "spec");
  podSpec(e, spec, path + ".spec", false);
  if (!arr(spec, "ephemeralContainers").empty())
    e.forbidden(path + ".spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
}

}  // namespace pmo::sandbox::validation
