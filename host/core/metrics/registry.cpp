#include "metrics/registry.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace longalign::metrics {
namespace {

void atomic_add(std::atomic<double>& a, double v) {
  double old = a.load();
  while (!a.compare_exchange_weak(old, old + v)) {
  }
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string escape(const std::string& s, bool quotes) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
  return out;
}

// {a="1",b="2"}, with `extra` (le) last; "" for no labels.
std::string render_labels(const Labels& labels, const std::string& extra_name = "", const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (auto& [k, v] : labels) {
    out += (first ? "" : ",") + k + "=\"" + escape(v, true) + "\"";
    first = false;
  }
  if (!extra_name.empty()) out += (first ? "" : ",") + extra_name + "=\"" + extra_value + "\"";
  return out + "}";
}

bool valid_name(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  return true;
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

void Counter::Increment(double v) {
  if (v < 0) throw std::invalid_argument("a counter only goes up");
  atomic_add(value_, v);
}

void Gauge::Increment(double v) { atomic_add(value_, v); }

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
}

Histogram::Snapshot Histogram::Collect() const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot s{bounds_, {}, sum_};
  uint64_t running = 0;
  for (uint64_t c : counts_) s.cumulative.push_back(running += c);
  return s;
}

template <class T>
T& Family<T>::Add(const Labels& labels) {
  for (auto& [k, _] : labels)
    if (!valid_name(k) || k.rfind("__", 0) == 0) throw std::invalid_argument("metric " + name_ + ": bad label name '" + k + "'");
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = series_[labels];
  if (!slot) {
    if constexpr (std::is_same_v<T, Histogram>) slot = std::make_unique<T>(bounds_);
    else slot = std::make_unique<T>();
  }
  return *slot;
}

template <class T>
void Family<T>::Remove(const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  series_.erase(labels);
}

template <class T>
void Family<T>::Render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (series_.empty()) return;
  out += "# HELP " + name_ + " " + escape(help_, false) + "\n# TYPE " + name_ + " " + type_name(type_) + "\n";
  for (auto& [labels, m] : series_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      auto s = m->Collect();
      for (size_t i = 0; i < s.bounds.size(); ++i)
        out += name_ + "_bucket" + render_labels(labels, "le", format_value(s.bounds[i])) + " " +
               std::to_string(s.cumulative[i]) + "\n";
      out += name_ + "_bucket" + render_labels(labels, "le", "+Inf") + " " + std::to_string(s.cumulative.back()) + "\n";
      out += name_ + "_sum" + render_labels(labels) + " " + format_value(s.sum) + "\n";
      out += name_ + "_count" + render_labels(labels) + " " + std::to_string(s.cumulative.back()) + "\n";
    } else {
      out += name_ + render_labels(labels) + " " + format_value(m->Value()) + "\n";
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <class T>
Family<T>& Registry::Register(const std::string& name, const std::string& help, MetricType type, std::vector<double> bounds) {
  if (!valid_name(name)) throw std::invalid_argument("bad metric name '" + name + "'");
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& f : families_)
    if (f->name() == name) throw std::invalid_argument("metric '" + name + "' is registered twice");
  auto f = std::make_unique<Family<T>>(name, help, type, std::move(bounds));
  Family<T>& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

template Family<Counter>& Registry::Register<Counter>(const std::string&, const std::string&, MetricType, std::vector<double>);
template Family<Gauge>& Registry::Register<Gauge>(const std::string&, const std::string&, MetricType, std::vector<double>);
template Family<Histogram>& Registry::Register<Histogram>(const std::string&, const std::string&, MetricType,
                                                          std::vector<double>);

std::string Registry::Serialize() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (auto& f : families_) f->Render(out);
  return out;
}

std::string sanitize_label_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  while (out.rfind("__", 0) == 0) out.erase(0, 1);
  return out;
}

}  // namespace longalign::metrics
