// File names as text: a name on disk is any byte string without '/' and NUL, but JSON, messages
// and result lines need valid UTF-8 without control characters (a raw newline in a name could
// forge a line of output). escape_name() makes any name such text, reversibly:
//   * a backslash becomes "\\";
//   * a control character (C0 0x00-0x1f, DEL 0x7f, and C1 U+0080-U+009F, byte by byte) and every byte that is not part of valid UTF-8
//     becomes "\xHH" (two lowercase hex digits);
//   * everything else (printable ASCII, valid UTF-8 sequences) is kept as is.
// unescape_name() is its inverse; it fails on a malformed escape.
#pragma once
#include <string>
#include <string_view>

#include "base/status.h"

namespace dla {

std::string escape_name(std::string_view raw);
Result<std::string> unescape_name(std::string_view escaped);
// A message made safe to print as one line of valid UTF-8: control characters (C0, DEL, C1) and
// bytes that are not UTF-8 become "\xHH"; unlike escape_name a backslash is kept, so a message whose
// names are already escaped is not escaped twice. Not reversible: for messages, never for names.
std::string printable(std::string_view message);
// `e` with every occurrence of the raw name in its message replaced by escape_name(raw): for an
// error from below (the Env names paths as given) that is about to be printed.
Error escape_name_in(Error e, const std::string& raw);

}  // namespace dla
