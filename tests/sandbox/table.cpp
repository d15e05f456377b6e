// meta.k8s.io/v1 Table output for `kubectl get`: Name, the CRD's additionalPrinterColumns
// (JSONPath subset: .a.b, .a[0].b, .a['x.y'], .a[?(@.k=="v")].b) or a few built-in columns, and Age.
#include <algorithm>
#include <cctype>
#include <ctime>

#include "sandbox/api.hpp"

namespace pmo::sandbox {

namespace {

// Evaluates the simple JSONPath subset; null when absent.
nlohmann::json lookup(const nlohmann::json& o, const std::string& path) {
  const nlohmann::json* cur = &o;
  size_t i = 0;
  std::string p = path;
  if (!p.empty() && p[0] == '{') p = p.substr(1, p.size() - 2);
  while (i < p.size()) {
    if (p[i] == '.') {
      ++i;
      size_t end = p.find_first_of(".[", i);
      std::string key = p.substr(i, end == std::string::npos ? std::string::npos : end - i);
      if (!key.empty()) {
        if (!cur->is_object() || !cur->contains(key)) return nullptr;
        cur = &(*cur)[key];
      }
      i = end == std::string::npos ? p.size() : end;
    } else if (p[i] == '[') {
      size_t end = p.find(']', i);
      if (end == std::string::npos) return nullptr;
      std::string idx = p.substr(i + 1, end - i - 1);
      if (!idx.empty() && (idx[0] == '\'' || idx[0] == '"')) {
        std::string key = idx.substr(1, idx.size() - 2);
        if (!cur->is_object() || !cur->contains(key)) return nullptr;
        cur = &(*cur)[key];
      } else if (idx.rfind("?(@.", 0) == 0) {
        // A filter, as printer columns use it: [?(@.type=="Ready")] selects the first
        // element whose field equals the quoted value.
        const size_t eq = idx.find("==");
        if (eq == std::string::npos || !cur->is_array()) return nullptr;
        const std::string field = idx.substr(4, eq - 4);
        std::string want = idx.substr(eq + 2);
        if (!want.empty() && want.back() == ')') want.pop_back();
        if (want.size() >= 2 && (want[0] == '"' || want[0] == '\'')) want = want.substr(1, want.size() - 2);
        const nlohmann::json* found = nullptr;
        for (const auto& item : *cur) {
          if (item.is_object() && item.contains(field) && item[field].is_string() && item[field] == want) {
            found = &item;
            break;
          }
        }
        if (!found) return nullptr;
        cur = found;
      } else if (idx.find_first_not_of("0123456789") != std::string::npos) {
        return nullptr;  // an expression this sandbox does not evaluate: an empty cell
      } else {
        size_t n = std::stoul(idx.empty() ? "0" : idx);
        if (!cur->is_array() || cur->size() <= n) return nullptr;
        cur = &(*cur)[n];
      }
      i = end + 1;
    } else {
      ++i;
    }
  }
  return *cur;
}

std::time_t parseTime(const std::string& s) {
  std::tm tm{};
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return timegm(&tm);
}

// kubectl's duration.HumanDuration.
std::string humanAge(const std::string& timestamp) {
  if (timestamp.empty()) return "<unknown>";
  long s = static_cast<long>(std::time(nullptr) - parseTime(timestamp));
  if (s < 0) s = 0;
  auto str = [](long v) { return std::to_string(v); };
  if (s < 120) return str(s) + "s";
  long m = s / 60;
  if (m < 10) return str(m) + "m" + (s % 60 ? str(s % 60) + "s" : "");
  if (m < 180) return str(m) + "m";
  long h = s / 3600;
  if (h < 8) return str(h) + "h" + (m % 60 ? str(m % 60) + "m" : "");
  if (h < 48) return str(h) + "h";
  long d = h / 24;
  if (h < 24 * 8) return str(d) + "d" + (h % 24 ? str(h % 24) + "h" : "");
  if (d < 365 * 2) return str(d) + "d";
  return str(d / 365) + "y";
}

struct Column {
  PrinterColumn def;
  std::function<nlohmann::json(const nlohmann::json&)> value;
};

std::vector<Column> builtinColumns(const ResourceType& type) {
  auto col = [](const char* name, const char* typ, std::function<nlohmann::json(const nlohmann::json&)> f) {
    PrinterColumn c;
    c.name = name;
    c.type = typ;
    return Column{c, std::move(f)};
  };
  auto st = [](const nlohmann::json& o) { return o.value("status", nlohmann::json::object()); };
  std::vector<Column> cols;
  if (type.resource == "deployments") {
    cols.push_back(col("Ready", "string", [st](const nlohmann::json& o) {
      return std::to_string(st(o).value("readyReplicas", 0)) + "/" +
             std::to_string(o.value("spec", nlohmann::json::object()).value("replicas", 1));
    }));
    cols.push_back(col("Up-to-date", "integer", [st](const nlohmann::json& o) { return st(o).value("updatedReplicas", 0); }));
    cols.push_back(col("Available", "integer", [st](const nlohmann::json& o) { return st(o).value("availableReplicas", 0); }));
  } else if (type.resource == "replicasets") {  // kubectl get rs: DESIRED CURRENT READY
    cols.push_back(col("Desired", "integer", [](const nlohmann::json& o) {
      return o.value("spec", nlohmann::json::object()).value("replicas", 1);
    }));
    cols.push_back(col("Current", "integer", [st](const nlohmann::json& o) { return st(o).value("replicas", 0); }));
    cols.push_back(col("Ready", "integer", [st](const nlohmann::json& o) { return st(o).value("readyReplicas", 0); }));
  } else if (type.resource == "pods") {
    cols.push_back(col("Status", "string", [st](const nlohmann::json& o) { return st(o).value("phase", "Pending"); }));
  } else if (type.resource == "jobs") {
    cols.push_back(col("Status", "string", [st](const nlohmann::json& o) {
      for (const auto& c : st(o).value("conditions", nlohmann::json::array()))
        if (c.value("status", "") == "True" && (c.value("type", "") == "Complete" || c.value("type", "") == "Failed"))
          return c.value("type", "");
      return std::string("Running");
    }));
    cols.push_back(col("Completions", "string", [st](const nlohmann::json& o) {
      return std::to_string(st(o).value("succeeded", 0)) + "/" +
             std::to_string(o.value("spec", nlohmann::json::object()).value("completions", 1));
    }));
  } else if (type.resource == "namespaces") {
    cols.push_back(col("Status", "string", [st](const nlohmann::json& o) { return st(o).value("phase", "Active"); }));
  } else if (type.resource == "events") {
    // kube-apiserver's eventColumnDefinitions (pkg/printers/internalversion/printers.go): no
    // Age, and Name last at priority 1, so `kubectl get events` shows LAST SEEN TYPE REASON
    // OBJECT MESSAGE.
    auto when = [](const nlohmann::json& o) {
      for (const char* k : {"lastTimestamp", "eventTime", "firstTimestamp"})
        if (o.contains(k) && o[k].is_string()) return humanAge(o[k].get<std::string>());
      return humanAge(metaString(o, "creationTimestamp"));
    };
    auto lower = [](std::string v) {
      for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return v;
    };
    cols.push_back(col("Last Seen", "string", when));
    cols.push_back(col("Type", "string", [](const nlohmann::json& o) { return o.value("type", ""); }));
    cols.push_back(col("Reason", "string", [](const nlohmann::json& o) { return o.value("reason", ""); }));
    cols.push_back(col("Object", "string", [lower](const nlohmann::json& o) {
      const auto ref = o.value("involvedObject", nlohmann::json::object());
      return lower(ref.value("kind", "")) + "/" + ref.value("name", "");
    }));
    cols.push_back(col("Message", "string", [](const nlohmann::json& o) { return o.value("message", ""); }));
    cols.push_back(col("Count", "integer", [](const nlohmann::json& o) { return o.value("count", 1); }));
    cols.back().def.priority = 1;
    cols.push_back(col("Name", "string", [](const nlohmann::json& o) { return metaString(o, "name"); }));
    cols.back().def.priority = 1;
    cols.back().def.format = "name";
    return cols;
  }
  cols.push_back(col("Age", "string", [](const nlohmann::json& o) { return humanAge(metaString(o, "creationTimestamp")); }));
  return cols;
}

}  // namespace

nlohmann::json toTable(const ResourceType& type, const std::string& version, const std::vector<ObjectPtr>& objects,
                       const nlohmann::json& listMetadata, bool includeFullObject) {
  std::vector<Column> cols;
  if (type.custom) {
    auto it = type.columns.find(version);
    std::vector<PrinterColumn> defs = it == type.columns.end() ? std::vector<PrinterColumn>{} : it->second;
    if (defs.empty()) defs.push_back({"Age", "date", "", "", ".metadata.creationTimestamp", 0});
    for (const auto& d : defs) {
      cols.push_back(Column{d, [d](const nlohmann::json& o) -> nlohmann::json {
                              nlohmann::json v = lookup(o, d.jsonPath);
                              if (d.type == "date" && v.is_string()) return humanAge(v.get<std::string>());
                              return v;
                            }});
    }
  } else {
    cols = builtinColumns(type);
  }
  // Name comes first unless the kind places it itself (events)
  const bool ownName = std::any_of(cols.begin(), cols.end(), [](const Column& c) { return c.def.name == "Name"; });
  nlohmann::json defs = nlohmann::json::array();
  if (!ownName)
    defs.push_back({{"name", "Name"}, {"type", "string"}, {"format", "name"},
                    {"description", "Name must be unique within a namespace."}, {"priority", 0}});
  for (const auto& c : cols)
    defs.push_back({{"name", c.def.name}, {"type", c.def.type == "date" ? "date" : c.def.type},
                    {"format", c.def.format}, {"description", c.def.description}, {"priority", c.def.priority}});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& o : objects) {
    nlohmann::json cells = ownName ? nlohmann::json::array() : nlohmann::json::array({metaString(*o, "name")});
    for (const auto& c : cols) cells.push_back(c.value(*o));
    nlohmann::json object;
    if (includeFullObject) {
      object = present(type, version, *o);
    } else {
      object = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", (*o)["metadata"]}};
    }
    rows.push_back({{"cells", cells}, {"object", object}});
  }
  return {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", listMetadata},
          {"columnDefinitions", defs}, {"rows", rows}};
}

}  // namespace pmo::sandbox
