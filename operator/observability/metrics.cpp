#include "observability/metrics.hpp"

#include <charconv>
#include <cmath>
#include <regex>
#include <stdexcept>

namespace pmo::observability {

namespace {
bool validName(const std::string& s, bool allowColon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allowColon && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string escapeHelp(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}
}  // namespace

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, res.ptr);
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string escapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Family::Family(std::string name, std::string help, std::string type, std::vector<std::string> labelNames)
    : name_(std::move(name)), help_(std::move(help)), type_(std::move(type)), labelNames_(std::move(labelNames)) {
  if (!validName(name_, true)) throw std::invalid_argument("invalid metric name: " + name_);
  for (const auto& l : labelNames_) {
    if (!validName(l, false) || l.rfind("__", 0) == 0) throw std::invalid_argument("invalid label name: " + l);
  }
}

void Family::checkArity(const LabelValues& values) const {
  if (values.size() != labelNames_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(labelNames_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
}

std::string Family::series(const std::string& metric, const LabelValues& values, const std::string& extraName,
                           const std::string& extraValue) const {
  std::string s = metric;
  if (values.empty() && extraName.empty()) return s;
  s += '{';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s += labelNames_[i] + "=\"" + escapeLabelValue(values[i]) + '"';
  }
  if (!extraName.empty()) {
    if (!values.empty()) s += ',';
    s += extraName + "=\"" + escapeLabelValue(extraValue) + '"';
  }
  s += '}';
  return s;
}

void Family::header(std::string& out) const {
  out += "# HELP " + name_ + " " + escapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_ + "\n";
}

Counter::Counter(std::string name, std::string help, std::vector<std::string> labelNames)
    : Family(std::move(name), std::move(help), "counter", std::move(labelNames)) {
  if (labelNames_.empty()) values_[{}] = 0;
}

void Counter::inc(const LabelValues& values, double v) {
  checkArity(values);
  if (!(v >= 0)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  values_[values] += v;
}

double Counter::value(const LabelValues& values) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

void Counter::render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  header(out);
  for (const auto& [labels, v] : values_) out += series(name_, labels) + " " + formatValue(v) + "\n";
}

Gauge::Gauge(std::string name, std::string help, std::vector<std::string> labelNames)
    : Family(std::move(name), std::move(help), "gauge", std::move(labelNames)) {
  if (labelNames_.empty()) values_[{}] = 0;
}

void Gauge::set(const LabelValues& values, double v) {
  checkArity(values);
  std::lock_guard<std::mutex> lock(mutex_);
  functions_.erase(values);
  values_[values] = v;
}

void Gauge::add(const LabelValues& values, double v) {
  checkArity(values);
  std::lock_guard<std::mutex> lock(mutex_);
  values_[values] += v;
}

void Gauge::setFunction(const LabelValues& values, std::function<double()> fn) {
  checkArity(values);
  std::lock_guard<std::mutex> lock(mutex_);
  values_.erase(values);
  functions_[values] = std::move(fn);
}

double Gauge::value(const LabelValues& values) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto f = functions_.find(values);
  if (f != functions_.end()) return f->second();
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

void Gauge::render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  header(out);
  std::map<LabelValues, double> all = values_;
  for (const auto& [labels, fn] : functions_) all[labels] = fn();
  for (const auto& [labels, v] : all) out += series(name_, labels) + " " + formatValue(v) + "\n";
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> labelNames,
                     std::vector<double> buckets)
    : Family(std::move(name), std::move(help), "histogram", std::move(labelNames)), buckets_(std::move(buckets)) {
  for (const auto& l : labelNames_) {
    if (l == "le") throw std::invalid_argument("histogram label name \"le\" is reserved");
  }
  for (std::size_t i = 1; i < buckets_.size(); ++i) {
    if (!(buckets_[i] > buckets_[i - 1])) throw std::invalid_argument("histogram buckets must increase: " + name_);
  }
  if (!buckets_.empty() && std::isinf(buckets_.back())) buckets_.pop_back();
  if (labelNames_.empty()) series_[{}].counts.assign(buckets_.size(), 0);
}

std::vector<double> Histogram::defaultBuckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}; }

void Histogram::observe(const LabelValues& values, double v) {
  checkArity(values);
  std::lock_guard<std::mutex> lock(mutex_);
  Series& s = series_[values];
  if (s.counts.empty()) s.counts.assign(buckets_.size(), 0);
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    if (v <= buckets_[i]) {
      ++s.counts[i];
      break;
    }
  }
  ++s.count;
  s.sum += v;
}

std::uint64_t Histogram::count(const LabelValues& values) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.count;
}

double Histogram::sum(const LabelValues& values) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.sum;
}

void Histogram::render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  header(out);
  for (const auto& [labels, s] : series_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.counts[i];
      out += series(name_ + "_bucket", labels, "le", formatValue(buckets_[i])) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += series(name_ + "_bucket", labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
    out += series(name_ + "_sum", labels) + " " + formatValue(s.sum) + "\n";
    out += series(name_ + "_count", labels) + " " + std::to_string(s.count) + "\n";
  }
}

template <typename T, typename... Args>
T& Registry::add(Args&&... args) {
  auto family = std::make_unique<T>(std::forward<Args>(args)...);
  T& ref = *family;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& f : families_) {
    if (f->name() == ref.name()) throw std::invalid_argument("metric registered twice: " + ref.name());
  }
  families_.push_back(std::move(family));
  return ref;
}

Counter& Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames) {
  return add<Counter>(name, help, std::move(labelNames));
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames) {
  return add<Gauge>(name, help, std::move(labelNames));
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, std::vector<std::string> labelNames,
                               std::vector<double> buckets) {
  return add<Histogram>(name, help, std::move(labelNames), std::move(buckets));
}

std::string Registry::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace pmo::observability
