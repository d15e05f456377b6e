#include "sandbox/selectors.hpp"

#include <algorithm>
#include <cctype>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> splitTerms(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
  return out;
}

Requirement parseTerm(const std::string& term, const std::string& whole) {
  auto bad = [&]() { return badRequest("unable to parse requirement: invalid selector: '" + whole + "'"); };
  if (term.empty()) throw bad();
  Requirement r{};
  if (term[0] == '!') {
    r.op = Requirement::Op::NotExists;
    r.key = trim(term.substr(1));
    if (r.key.empty()) throw bad();
    return r;
  }
  auto setOp = [&](const char* word, Requirement::Op op) -> bool {
    std::string w = std::string(" ") + word + " ";
    size_t p = term.find(w);
    if (p == std::string::npos) {
      w = std::string(" ") + word + "(";
      p = term.find(w);
      if (p == std::string::npos) return false;
    }
    r.op = op;
    r.key = trim(term.substr(0, p));
    std::string rest = trim(term.substr(p + std::string(word).size() + 1));
    if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') throw bad();
    std::string inner = rest.substr(1, rest.size() - 2);
    size_t start = 0;
    while (true) {
      size_t c = inner.find(',', start);
      r.values.push_back(trim(inner.substr(start, c == std::string::npos ? std::string::npos : c - start)));
      if (c == std::string::npos) break;
      start = c + 1;
    }
    return true;
  };
  if (setOp("notin", Requirement::Op::NotIn) || setOp("in", Requirement::Op::In)) return r;
  size_t p;
  if ((p = term.find("!=")) != std::string::npos) {
    r.op = Requirement::Op::NotEquals;
    r.key = trim(term.substr(0, p));
    r.values = {trim(term.substr(p + 2))};
  } else if ((p = term.find("==")) != std::string::npos) {
    r.op = Requirement::Op::Equals;
    r.key = trim(term.substr(0, p));
    r.values = {trim(term.substr(p + 2))};
  } else if ((p = term.find('=')) != std::string::npos) {
    r.op = Requirement::Op::Equals;
    r.key = trim(term.substr(0, p));
    r.values = {trim(term.substr(p + 1))};
  } else {
    r.op = Requirement::Op::Exists;
    r.key = term;
  }
  if (r.key.empty() || r.key.find(' ') != std::string::npos) throw bad();
  return r;
}

bool fieldValue(const nlohmann::json& o, const std::string& key, std::string& out) {
  // "metadata.name" -> /metadata/name; only string and bool leaves.
  const nlohmann::json* cur = &o;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) return false;
    cur = &(*cur)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (cur->is_string()) out = cur->get<std::string>();
  else if (cur->is_boolean()) out = cur->get<bool>() ? "true" : "false";
  else if (cur->is_number()) out = cur->dump();
  else return false;
  return true;
}

}  // namespace

Selector Selector::parseLabels(const std::string& text) {
  Selector s;
  for (const auto& term : splitTerms(text)) s.reqs_.push_back(parseTerm(term, text));
  return s;
}

Selector Selector::parseFields(const std::string& text) {
  Selector s;
  s.fields_ = true;
  for (const auto& term : splitTerms(text)) {
    Requirement r = parseTerm(term, text);
    if (r.op != Requirement::Op::Equals && r.op != Requirement::Op::NotEquals)
      throw badRequest("invalid field selector: '" + text + "'");
    s.reqs_.push_back(r);
  }
  return s;
}

bool Selector::matches(const nlohmann::json& o) const {
  static const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json* labels = &empty;
  if (!fields_) {
    auto m = o.find("metadata");
    if (m != o.end() && m->contains("labels") && (*m)["labels"].is_object()) labels = &(*m)["labels"];
  }
  for (const auto& r : reqs_) {
    std::string value;
    bool has;
    if (fields_) {
      has = fieldValue(o, r.key, value);
      if (!has && (r.key == "metadata.namespace")) {
        has = true;  // cluster-scoped objects have namespace ""
      }
    } else {
      auto it = labels->find(r.key);
      has = it != labels->end() && it->is_string();
      if (has) value = it->get<std::string>();
    }
    bool inValues = has && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case Requirement::Op::Equals:
      case Requirement::Op::In:
        if (!inValues) return false;
        break;
      case Requirement::Op::NotEquals:
      case Requirement::Op::NotIn:
        if (inValues) return false;
        break;
      case Requirement::Op::Exists:
        if (!has) return false;
        break;
      case Requirement::Op::NotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace pmo::sandbox
