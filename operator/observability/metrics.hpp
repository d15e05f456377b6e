#pragma once
// A tiny Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format 0.0.4. Thread-safe. Families render in registration order and
// series in label-value order, so the output is deterministic.
//
// Guarantees: HELP text escapes `\` and newline; label values escape `\`, `"` and newline;
// histogram buckets are cumulative with a final le="+Inf" equal to _count. Names and label
// names are validated at registration (std::invalid_argument); using a family with the
// wrong number of label values throws std::invalid_argument.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pmo::observability {

using LabelValues = std::vector<std::string>;

// Formats a sample value as Prometheus does: integers without a fraction, shortest
// round-trip otherwise, and NaN, +Inf, -Inf.
std::string formatValue(double v);
std::string escapeLabelValue(const std::string& v);

class Family {
 public:
  Family(std::string name, std::string help, std::string type, std::vector<std::string> labelNames);
  virtual ~Family() = default;
  const std::string& name() const { return name_; }
  virtual void render(std::string& out) const = 0;

 protected:
  void checkArity(const LabelValues& values) const;
  // `name{a="x",b="y"}` with optional extra label (used for le).
  std::string series(const std::string& metric, const LabelValues& values, const std::string& extraName = "",
                     const std::string& extraValue = "") const;
  void header(std::string& out) const;

  std::string name_;
  std::string help_;
  std::string type_;
  std::vector<std::string> labelNames_;
  mutable std::mutex mutex_;
};

class Counter final : public Family {
 public:
  Counter(std::string name, std::string help, std::vector<std::string> labelNames);
  // Adds `v` (must be >= 0; negative increments are ignored).
  void inc(const LabelValues& values = {}, double v = 1.0);
  double value(const LabelValues& values = {}) const;
  void render(std::string& out) const override;

 private:
  std::map<LabelValues, double> values_;
};

class Gauge final : public Family {
 public:
  Gauge(std::string name, std::string help, std::vector<std::string> labelNames);
  void set(const LabelValues& values, double v);
  void set(double v) { set({}, v); }
  void add(const LabelValues& values, double v);
  // The series' value is read from `fn` at render time (e.g. a queue's length).
  void setFunction(const LabelValues& values, std::function<double()> fn);
  double value(const LabelValues& values = {}) const;
  void render(std::string& out) const override;

 private:
  std::map<LabelValues, double> values_;
  std::map<LabelValues, std::function<double()>> functions_;
};

class Histogram final : public Family {
 public:
  // `buckets`: strictly increasing upper bounds, without +Inf.
  Histogram(std::string name, std::string help, std::vector<std::string> labelNames, std::vector<double> buckets);
  void observe(const LabelValues& values, double v);
  void observe(double v) { observe({}, v); }
  std::uint64_t count(const LabelValues& values = {}) const;
  double sum(const LabelValues& values = {}) const;
  void render(std::string& out) const override;

  static std::vector<double> defaultBuckets();  // Prometheus' 0.005 .. 10

 private:
  struct Series {
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::vector<double> buckets_;
  std::map<LabelValues, Series> series_;
};

class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
  Gauge& gauge(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<std::string> labelNames = {},
                       std::vector<double> buckets = Histogram::defaultBuckets());
  // The exposition text (Content-Type: text/plain; version=0.0.4; charset=utf-8).
  std::string render() const;

 private:
  template <typename T, typename... Args>
  T& add(Args&&... args);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace pmo::observability
