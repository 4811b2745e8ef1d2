#include "tessera/data/schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "tessera/data/datetime_parts.h"

namespace tessera::data {

std::string_view ToString(ColumnType type) {
  switch (type) {
    case ColumnType::kNumeric: return "numeric";
    case ColumnType::kCategorical: return "categorical";
    case ColumnType::kBoolean: return "boolean";
    case ColumnType::kDatetime: return "datetime";
  }
  return "?";
}

std::string_view ToString(ColumnRole role) {
  switch (role) {
    case ColumnRole::kFeature: return "feature";
    case ColumnRole::kLabel: return "label";
    case ColumnRole::kWeight: return "weight";
    case ColumnRole::kGroup: return "group";
    case ColumnRole::kIgnored: return "ignored";
  }
  return "?";
}

std::optional<ColumnType> ColumnTypeFromString(std::string_view s) {
  for (auto t : {ColumnType::kNumeric, ColumnType::kCategorical, ColumnType::kBoolean, ColumnType::kDatetime})
    if (ToString(t) == s) return t;
  return std::nullopt;
}

std::optional<ColumnRole> ColumnRoleFromString(std::string_view s) {
  for (auto r : {ColumnRole::kFeature, ColumnRole::kLabel, ColumnRole::kWeight, ColumnRole::kGroup, ColumnRole::kIgnored})
    if (ToString(r) == s) return r;
  return std::nullopt;
}

std::string_view ToString(DatetimePart part) {
  switch (part) {
    case DatetimePart::kYear: return "year";
    case DatetimePart::kMonth: return "month";
    case DatetimePart::kDay: return "day";
    case DatetimePart::kWeekday: return "weekday";
    case DatetimePart::kHour: return "hour";
    case DatetimePart::kIsWeekend: return "is_weekend";
  }
  return "?";
}

std::optional<DatetimePart> DatetimePartFromString(std::string_view s) {
  for (auto p : kDatetimeParts)
    if (ToString(p) == s) return p;
  return std::nullopt;
}

size_t Schema::num_read_columns() const {
  size_t n = 0;
  while (n < columns_.size() && !columns_[n].derived) ++n;
  return n;
}

int Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return static_cast<int>(i);
  return -1;
}

int Schema::FindRole(ColumnRole role) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].role == role) return static_cast<int>(i);
  return -1;
}

std::vector<size_t> Schema::FeatureIndices() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].role == ColumnRole::kFeature) out.push_back(i);
  return out;
}

Status Schema::Apply(const SchemaOptions& options, const std::string& source_name) {
  auto lookup = [&](const std::string& name, const char* flag) -> Result<size_t> {
    int i = Find(name);
    if (i < 0) {
      std::string names;
      for (size_t k = 0; k < columns_.size() && k < 12; ++k) names += (k ? ", " : "") + columns_[k].name;
      if (columns_.size() > 12) names += ", ...";
      return Status::UserError(source_name + ": " + flag + " names column '" + name +
                               "', which is not in the header (columns: " + names + ")");
    }
    return static_cast<size_t>(i);
  };
  auto set_type = [&](const std::vector<std::string>& names, ColumnType type, const char* flag) -> Status {
    for (const auto& n : names) {
      TESSERA_ASSIGN_OR_RETURN(size_t i, lookup(n, flag));
      columns_[i].type = type;
    }
    return Status::Ok();
  };
  TESSERA_RETURN_IF_ERROR(set_type(options.categorical, ColumnType::kCategorical, "--categorical"));
  TESSERA_RETURN_IF_ERROR(set_type(options.numeric, ColumnType::kNumeric, "--numeric"));
  TESSERA_RETURN_IF_ERROR(set_type(options.datetime, ColumnType::kDatetime, "--datetime"));
  if (options.datetime_parts) {
    // Before the roles, so that --ignore can name a derived column ("when_hour").
    std::vector<std::string> not_features = options.ignore;
    for (const std::string* n : {&options.label, &options.weight, &options.group})
      if (!n->empty()) not_features.push_back(*n);
    AppendDatetimeParts(this, not_features);
  }
  for (const auto& n : options.ignore) {
    TESSERA_ASSIGN_OR_RETURN(size_t i, lookup(n, "--ignore"));
    columns_[i].role = ColumnRole::kIgnored;
  }
  auto set_role = [&](const std::string& name, ColumnRole role, const char* flag) -> Status {
    if (name.empty()) return Status::Ok();
    TESSERA_ASSIGN_OR_RETURN(size_t i, lookup(name, flag));
    columns_[i].role = role;
    return Status::Ok();
  };
  TESSERA_RETURN_IF_ERROR(set_role(options.label, ColumnRole::kLabel, "--label"));
  TESSERA_RETURN_IF_ERROR(set_role(options.weight, ColumnRole::kWeight, "--weight"));
  TESSERA_RETURN_IF_ERROR(set_role(options.group, ColumnRole::kGroup, "--group"));
  for (auto& c : columns_) {
    if ((c.role == ColumnRole::kWeight || c.role == ColumnRole::kGroup) && c.type != ColumnType::kNumeric)
      return Status::UserError(source_name + ": column '" + c.name + "' is used as " +
                               std::string(ToString(c.role)) + " but holds " + std::string(ToString(c.type)) +
                               " values; expected numbers");
  }
  return Status::Ok();
}

nlohmann::json Schema::ToJson() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : columns_) {
    nlohmann::json col = {{"name", c.name}, {"type", ToString(c.type)}, {"role", ToString(c.role)}};
    if (c.derived) col["derived_from"] = c.derived->source, col["part"] = ToString(c.derived->part);
    cols.push_back(std::move(col));
  }
  return {{"columns", cols}};
}

Result<Schema> Schema::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("columns") || !j["columns"].is_array())
    return Status::UserError("schema: expected an object with a 'columns' array");
  std::vector<Column> cols;
  for (const auto& c : j["columns"]) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("type") ||
        !c["type"].is_string() || !c.contains("role") || !c["role"].is_string())
      return Status::UserError("schema: each column needs string 'name', 'type' and 'role'");
    auto type = ColumnTypeFromString(c["type"].get<std::string>());
    auto role = ColumnRoleFromString(c["role"].get<std::string>());
    if (!type) return Status::UserError("schema: unknown column type '" + c["type"].get<std::string>() + "'");
    if (!role) return Status::UserError("schema: unknown column role '" + c["role"].get<std::string>() + "'");
    cols.emplace_back(c["name"].get<std::string>(), *type, *role);
    if (c.contains("derived_from")) {
      if (!c["derived_from"].is_string() || !c.contains("part") || !c["part"].is_string())
        return Status::UserError("schema: derived column '" + cols.back().name + "' needs string 'derived_from' and 'part'");
      auto part = DatetimePartFromString(c["part"].get<std::string>());
      if (!part)
        return Status::UserError("schema: unknown datetime part '" + c["part"].get<std::string>() + "' (known: year, month, day, " +
                                 "weekday, hour, is_weekend)");
      cols.back().derived = DerivedFrom{c["derived_from"].get<std::string>(), *part};
    }
  }
  Schema schema(std::move(cols));
  TESSERA_RETURN_IF_ERROR(ValidateDerivedColumns(schema));
  return schema;
}

void ColumnTypeGuesser::Observe(std::string_view value) {
  ++seen_;
  float f;
  double d;
  if (ParseNumber(value, &f)) ++numbers_;
  else if (ParseBoolean(value, &f)) ++booleans_;
  else if (ParseDatetime(value, &d)) ++datetimes_;
}

ColumnType ColumnTypeGuesser::Guess() const {
  if (seen_ == numbers_) return ColumnType::kNumeric;  // also the all-missing column
  if (seen_ == booleans_) return ColumnType::kBoolean;
  if (seen_ == datetimes_) return ColumnType::kDatetime;
  return ColumnType::kCategorical;
}

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// A decimal number too large or too small for a double (from_chars said so): +-inf or +-0,
// told apart by the decimal exponent of its first significant digit.
double BeyondDouble(std::string_view s) {
  const bool negative = !s.empty() && s.front() == '-';
  size_t i = negative ? 1 : 0;
  int64_t digits = 0, before_point = -1, first_significant = -1;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      before_point = digits;
      continue;
    }
    if (first_significant < 0 && s[i] != '0') first_significant = digits;
    ++digits;
  }
  if (before_point < 0) before_point = digits;
  int64_t exponent = 0;
  if (i < s.size()) {
    ++i;
    const bool minus = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      exponent = std::min<int64_t>(exponent * 10 + (s[i] - '0'), 1'000'000'000);
    if (minus) exponent = -exponent;
  }
  const bool huge = first_significant >= 0 && before_point - first_significant - 1 + exponent >= 0;
  const double magnitude = huge ? std::numeric_limits<double>::infinity() : 0.0;
  return negative ? -magnitude : magnitude;
}
}  // namespace

std::string FormatDatetime(double seconds) {
  int64_t t = static_cast<int64_t>(std::floor(seconds));
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  const CivilDate date = CivilFromDays(days);  // the inverse of DaysFromCivil
  const int64_t y = date.year;
  const unsigned m = date.month, d = date.day;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

bool IsMissingToken(std::string_view s) {
  // Most fields are values: reject them on their first byte before trimming and comparing.
  if (!s.empty()) {
    char c = s.front();
    if (c != ' ' && c != '\t' && c != '?' && c != 'N' && c != 'n') return false;
  }
  s = Trim(s);
  if (s.empty() || s == "?") return true;
  using namespace std::string_view_literals;
  for (std::string_view t : {"NA"sv, "N/A"sv, "NaN"sv, "null"sv, "None"sv})
    if (EqualsIgnoreCase(s, t)) return true;
  return false;
}

const char* ParseDecimalPrefix(const char* p, const char* end, float* out) {
  // Exact fast path (Clinger): a mantissa up to 2^24 and a power of ten up to 10^10 are both
  // exact floats, so one IEEE division or multiplication rounds correctly.
  static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
  const bool negative = p < end && *p == '-';
  p += negative;
  const char* digits_start = p;
  uint64_t mantissa = 0;
  while (p < end && static_cast<unsigned>(*p - '0') < 10) mantissa = mantissa * 10 + static_cast<unsigned>(*p++ - '0');
  long digits = p - digits_start;
  int exponent = 0;
  if (p < end && *p == '.') {
    const char* frac = ++p;
    while (p < end && static_cast<unsigned>(*p - '0') < 10) mantissa = mantissa * 10 + static_cast<unsigned>(*p++ - '0');
    exponent = -static_cast<int>(p - frac);
    digits += p - frac;
  }
  if (digits == 0 || digits > 19 || mantissa > (uint64_t{1} << 24)) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool exp_negative = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    const char* exp_start = p;
    int e = 0;
    while (p < end && static_cast<unsigned>(*p - '0') < 10 && e < 1000) e = e * 10 + (*p++ - '0');
    if (p == exp_start) return nullptr;
    exponent += exp_negative ? -e : e;
  }
  if (exponent < -10 || exponent > 10) return nullptr;
  float v = static_cast<float>(mantissa);
  v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  *out = negative ? -v : v;
  return p;
}

bool ParseNumber(std::string_view s, float* out) {
  if (!s.empty() && (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t')) s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  if (ParseDecimalPrefix(s.data(), s.data() + s.size(), out) == s.data() + s.size()) return true;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (ec == std::errc::result_out_of_range) {
    // Overflow saturates to +-inf; underflow to zero, as strtof does. from_chars leaves the value
    // unset when even a double cannot hold it.
    if (ptr != s.data() + s.size()) return false;
    double d;
    auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (r.ec == std::errc::result_out_of_range) d = BeyondDouble(s);
    else if (r.ec != std::errc()) return false;
    *out = static_cast<float>(d);
    return true;
  }
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseBoolean(std::string_view s, float* out) {
  s = Trim(s);
  for (std::string_view t : {"true", "yes", "t", "y"})
    if (EqualsIgnoreCase(s, t)) return *out = 1, true;
  for (std::string_view t : {"false", "no", "f", "n"})
    if (EqualsIgnoreCase(s, t)) return *out = 0, true;
  return false;
}

bool ParseDatetime(std::string_view s, double* seconds) {
  s = Trim(s);
  int y, mo, d;
  if (s.size() < 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) || s[7] != '-' ||
      !Digits(s, 8, 2, &d))
    return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  double t = static_cast<double>(DaysFromCivil(y, mo, d)) * 86400.0;
  size_t p = 10;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != ' ') return false;
    int h, mi, sec = 0;
    if (!Digits(s, p + 1, 2, &h) || p + 3 >= s.size() || s[p + 3] != ':' || !Digits(s, p + 4, 2, &mi)) return false;
    if (h > 23 || mi > 59) return false;
    p += 6;
    double frac = 0;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, &sec) || sec > 60) return false;
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        size_t q = p + 1;
        double scale = 0.1;
        while (q < s.size() && s[q] >= '0' && s[q] <= '9') frac += (s[q++] - '0') * scale, scale /= 10;
        if (q == p + 1) return false;
        p = q;
      }
    }
    t += h * 3600.0 + mi * 60.0 + sec + frac;
    if (p < s.size()) {
      if (s[p] == 'Z' && p + 1 == s.size()) {
        p += 1;
      } else if (s[p] == '+' || s[p] == '-') {
        int oh, om = 0;
        if (!Digits(s, p + 1, 2, &oh)) return false;
        size_t q = p + 3;
        if (q < s.size() && s[q] == ':') ++q;
        if (q < s.size() && !Digits(s, q, 2, &om)) return false;
        if (q < s.size()) q += 2;
        if (q != s.size() || oh > 23 || om > 59) return false;
        double offset = oh * 3600.0 + om * 60.0;
        t += s[p] == '+' ? -offset : offset;
        p = q;
      } else {
        return false;
      }
    }
  }
  *seconds = t;
  return true;
}

}  // namespace tessera::data
