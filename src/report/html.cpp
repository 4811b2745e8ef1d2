#include "tessera/report/html.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

#include "tessera/core/utf8.h"

namespace tessera::report {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the UTF-8 sequence that starts with `lead`, 0 for a byte that cannot start one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool StartsWithNoCase(std::string_view text, size_t at, std::string_view lower_prefix) {
  if (text.size() - at < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i) {
    char c = text[at + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      const size_t n = SequenceLength(byte);
      if (n == 0 || i + n > text.size() || !IsValidUtf8(text.substr(i, n))) {
        out += kReplacement;
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (byte) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out += static_cast<char>(byte);
        break;
      default:
        // Other control characters are parse errors in HTML: show them as U+FFFD.
        if (byte < 0x20 || byte == 0x7F) {
          out += kReplacement;
        } else {
          out += static_cast<char>(byte);
        }
    }
    ++i;
  }
  return out;
}

std::string JsonForScript(const nlohmann::json& value) {
  // dump() writes NaN and infinities as null and, with `replace`, invalid UTF-8 as U+FFFD.
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 64);
  // < > & can only occur inside JSON strings, where \u escapes mean the same characters.
  for (char c : text) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ScriptForHtml(std::string_view source) {
  // A source map comment is the bundle's last line; the .map file is not inlined.
  const size_t map = source.rfind("//# sourceMappingURL=");
  if (map != std::string_view::npos && (map == 0 || source[map - 1] == '\n')) {
    const std::string_view rest = source.substr(map);
    const size_t line_end = rest.find_first_of("\r\n");
    if (line_end == std::string_view::npos ||
        rest.find_first_not_of("\r\n", line_end) == std::string_view::npos) {
      source = source.substr(0, map);
    }
  }
  std::string out;
  out.reserve(source.size() + 16);
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '<' && StartsWithNoCase(source, i, "</script")) {
      out += "<\\/";  // "\/" is "/" in strings, regular expressions and comments alike
      ++i;            // skip the '/'
      continue;
    }
    if (source[i] == '<' && source.substr(i, 4) == "<!--") {
      out += "\\x3C";  // "\x3C" is "<" in strings and regular expressions
      continue;
    }
    out += source[i];
  }
  return out;
}

double RoundSignificant(double value, int significant) {
  if (!std::isfinite(value) || value == 0) return value == 0 ? 0.0 : value;
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value,
                                 std::chars_format::scientific, significant - 1);
  if (ec != std::errc()) return value;
  double rounded = value;
  std::from_chars(buffer, end, rounded);
  return rounded;
}

std::string FormatNumber(double value, int significant) {
  if (std::isnan(value)) return "missing";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";  // also -0
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, significant);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

}  // namespace tessera::report
