// Building blocks for Prometheus' text exposition format (version 0.0.4): a histogram with fixed
// buckets whose Observe() is lock-free (atomic counters), and the text helpers — label-value
// escaping, sample numbers, HELP/TYPE lines. See
// https://prometheus.io/docs/instrumenting/exposition_formats/. Histogram is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::serve {

// The content type of a /metrics answer in this format.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

class Histogram {
 public:
  // `upper_bounds` ascending and finite; a +Inf bucket is added.
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // name_bucket{labels,le="..."} cumulative counts, then name_sum and name_count. `labels` is
  // `key="value",...` already escaped, or empty.
  void Render(std::string* out, std::string_view name, std::string_view labels) const;
  uint64_t count() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

// A label value with \, " and line feeds escaped as the format asks.
std::string EscapeLabelValue(std::string_view value);
// A sample value: shortest round-trip form in %g style (0.0005, 1e+21), or +Inf, -Inf, NaN.
std::string FormatSampleValue(double value);
// "# HELP name help\n# TYPE name type\n".
void AppendHeader(std::string* out, std::string_view name, std::string_view type, std::string_view help);
// "name{labels} value\n" (no braces when `labels` is empty).
void AppendSample(std::string* out, std::string_view name, std::string_view labels, double value);

}  // namespace tessera::serve
