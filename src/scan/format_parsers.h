// The builtin formats' line parsers (formats.cc), one function per format. Each takes one line
// (without its '\n', cut to the format's head bytes) and returns a level id (scan/level_names.h),
// kUnleveled (the format's header without a level) or kNoMatch. Internal to src/scan: the public
// surface is formats.h; declared here so that the unit tests can reach each parser.
#pragma once
#include <cstddef>

namespace dla::parsers {

int bracket(const char* s, std::size_t n);
int logcat(const char* s, std::size_t n);
int json(const char* s, std::size_t n);
int logfmt(const char* s, std::size_t n);
int glog(const char* s, std::size_t n);
int apache(const char* s, std::size_t n);
// apache for detection: only a level written with a lowercase letter ([notice], [Error]) counts
// as the format's, so the assignment's `[ts] [INFO]` files (with a stray `[info]`) stay bracket.
int apache_detect(const char* s, std::size_t n);
int log4j(const char* s, std::size_t n);
int syslog(const char* s, std::size_t n);

}  // namespace dla::parsers
