// Helpers for writing self-contained HTML pages: escaping text for HTML, embedding JSON and
// JavaScript inside <script> elements, and formatting numbers for people. All functions are pure
// and locale-independent (same input, same bytes), safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tessera::report {

// Escapes & < > " ' so that `text` is safe as element content and inside quoted attributes.
// Invalid UTF-8 is replaced by U+FFFD so that the page stays valid UTF-8.
std::string HtmlEscape(std::string_view text);

// Serialises `value` compactly for a <script type="application/json"> element: non-finite
// numbers become null (JSON has no NaN), invalid UTF-8 in strings becomes U+FFFD, and < > & are
// written as \u003c \u003e \u0026 so that no "</script>" or "<!--" can end or confuse the element.
// Object keys come out sorted, so the text is deterministic.
std::string JsonForScript(const nlohmann::json& value);

// Prepares a JavaScript library's source for an inline <script> element: drops a trailing
// "//# sourceMappingURL=" comment (the map is not shipped) and writes every "</script" and
// "<!--" as "<\/script" and "<\!--" (same meaning inside the strings and regular expressions
// where they can occur in JavaScript, inert for the HTML parser).
std::string ScriptForHtml(std::string_view source);

// `value` with at most `significant` significant digits, shortest form, no locale: 0.1235,
// 63, 1.5e+06, "-0" printed as "0"; NaN as "missing", infinities as "inf" / "-inf".
std::string FormatNumber(double value, int significant = 4);

// `value` rounded to `significant` significant digits (non-finite values are returned as is).
// Used to keep chart data small: the JSON writer prints the shortest text that round-trips.
double RoundSignificant(double value, int significant);

}  // namespace tessera::report
