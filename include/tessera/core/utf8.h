// UTF-8 validation for text that reaches users and files (names, categories).
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). On failure `*bad_offset` is the offset of the first bad byte.
bool IsValidUtf8(std::string_view s, size_t* bad_offset = nullptr);

}  // namespace tessera
