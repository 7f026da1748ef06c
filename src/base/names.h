// File names as dla prints them: one line of valid UTF-8 whatever the bytes on disk are.
// A name is user input: a newline in it could forge a `RESULT OK` line and a byte that is not
// UTF-8 makes JSON serialisation throw. Every message, RESULT line, JSON document and checkpoint
// that carries a name carries escape_name(name); unescape_name gives the bytes back.
// Pure functions, thread-safe.
#pragma once
#include <string>
#include <string_view>

#include "base/status.h"

namespace dla {

// Control characters (C0, DEL, C1) and bytes that are not part of a valid UTF-8 sequence become
// `\xHH` (two lower-case hex digits), a backslash becomes `\\`; everything else (valid UTF-8,
// including non-ASCII letters) is kept. The result never contains a control character, is valid
// UTF-8, and escape_name(s) == s for every plain printable name.
std::string escape_name(std::string_view raw);

// Inverse of escape_name: `\\` -> `\`, `\xHH` -> the byte 0xHH. Any other backslash sequence
// (or a truncated one) is an error naming the offending text.
Result<std::string> unescape_name(std::string_view escaped);

}  // namespace dla
