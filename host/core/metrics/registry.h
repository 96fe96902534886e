// Live metrics in Prometheus' model: a registry of counter, gauge and histogram families, each a
// set of series told apart by labels, rendered in the text exposition format 0.0.4. The API
// follows prometheus-cpp's (BuildGauge().Name().Help().Register(registry).Add(labels).Set(v)),
// which Debian does not package, so moving to it later is a change of includes. Thread-safe:
// the runner updates series while the HTTP server renders them.
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace longalign::metrics {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void Increment(double v = 1.0);  // v >= 0
  double Value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v); }
  void Increment(double v = 1.0);
  void Decrement(double v = 1.0) { Increment(-v); }
  double Value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // upper bounds, ascending; +Inf is implied
  void Observe(double v);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
  };
  Snapshot Collect() const;

 private:
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
};

enum class MetricType { Counter, Gauge, Histogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type) : name_(std::move(name)), help_(std::move(help)), type_(type) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  virtual void Render(std::string& out) const = 0;

 protected:
  std::string name_, help_;
  MetricType type_;
  mutable std::mutex mu_;
};

template <class T>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), type), bounds_(std::move(bounds)) {}
  // The series with these labels, made on first use; the reference stays valid until Remove.
  T& Add(const Labels& labels);
  void Remove(const Labels& labels);
  void Render(std::string& out) const override;

 private:
  std::vector<double> bounds_;
  std::map<Labels, std::unique_ptr<T>> series_;
};

class Registry {
 public:
  template <class T>
  Family<T>& Register(const std::string& name, const std::string& help, MetricType type, std::vector<double> bounds = {});
  std::string Serialize() const;  // the text exposition format, families in registration order

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

template <class T>
class Builder {
 public:
  explicit Builder(MetricType type) : type_(type) {}
  Builder& Name(std::string n) { name_ = std::move(n); return *this; }
  Builder& Help(std::string h) { help_ = std::move(h); return *this; }
  Builder& Buckets(std::vector<double> b) { bounds_ = std::move(b); return *this; }
  Family<T>& Register(Registry& r) { return r.Register<T>(name_, help_, type_, bounds_); }

 private:
  MetricType type_;
  std::string name_, help_;
  std::vector<double> bounds_;
};

inline Builder<Counter> BuildCounter() { return Builder<Counter>(MetricType::Counter); }
inline Builder<Gauge> BuildGauge() { return Builder<Gauge>(MetricType::Gauge); }
inline Builder<Histogram> BuildHistogram() { return Builder<Histogram>(MetricType::Histogram); }

// "train.rows_per_micro_batch" -> "train_rows_per_micro_batch": a valid label name.
std::string sanitize_label_name(const std::string& s);

}  // namespace longalign::metrics
