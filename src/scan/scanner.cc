// The level scanner. See scanner.h for the contract.
//
// Fast path (scan_buffer). For every 64-byte block we build two bitmasks:
//   nl = bytes equal to '\n'
//   c  = "candidates": bytes equal to '[' followed by 'D', 'E', 'I' or 'W' (every level token is
//        a candidate; in the assignment format the timestamp's '[' is not)
// The first candidate of each line is found for all lines of the block at once with one 64-bit
// addition: let s = line starts (nl << 1), x = s & ~c, y = ~c. In x + y + carry_in a carry is
// generated at every line start that is not a candidate, travels through the non-candidate bytes
// (y = 1) and is absorbed by the first candidate it meets, leaving a 1 there. So
//   first = ((x + y + carry_in) | s) & c
// and the carry out of bit 63 (or a '\n' in bit 63) says that the line open at the next block
// still looks for its first candidate. Only those first candidates are checked exactly (one 8-byte
// load; the byte after '[' picks the one token that can match; one masked compare); if one is not
// a real token (e.g. "[INFO" or "[Disk"), that line alone is finished by the scalar code. Lines
// are counted with popcount(nl). Blocks start at 64-byte aligned addresses (a padded head block
// first) so that the loads do not cross cache lines.
#include "scan/scanner.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DLA_SCANNER_X86 1
#endif

#define DLA_ALWAYS_INLINE inline __attribute__((always_inline))

namespace dla {
namespace {

// ---- exact token check -------------------------------------------------------------------------

constexpr std::uint64_t pack(const char* s, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}
// The bytes after '[' of each token, little-endian.
constexpr std::uint64_t kDebug = pack("DEBUG]", 6), kError = pack("ERROR]", 6), kInfo = pack("INFO]", 5),
                        kWarn = pack("WARN]", 5), kWarning = pack("WARNING]", 8);
constexpr std::uint64_t kMask6 = 0xFFFFFFFFFFFFull, kMask5 = 0xFFFFFFFFFFull;
struct TokenWord {
  std::uint64_t bytes, mask;
};
// By level; entry 4 matches nothing (mask 0, bytes != 0).
constexpr TokenWord kTokens[5] = {{kDebug, kMask6}, {kError, kMask6}, {kInfo, kMask5}, {kWarn, kMask5}, {1, 0}};
struct TokenIndex {
  unsigned char v[256];
  constexpr TokenIndex() : v() {
    for (int i = 0; i < 256; ++i) v[i] = 4;
    v['D'] = 0;
    v['E'] = 1;
    v['I'] = 2;
    v['W'] = 3;
  }
  constexpr unsigned char operator[](std::uint64_t b) const { return v[b]; }
};
constexpr TokenIndex kTokenIndex{};

DLA_ALWAYS_INLINE std::uint64_t load_le64(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

// Level (0..3) of the token whose '[' is data[p], or -1. Reads only bytes inside [0, size); a
// token cannot contain '\n', so checking against the buffer end also respects the line end.
template <bool kSafe = true>
DLA_ALWAYS_INLINE int classify(const char* data, std::size_t size, std::size_t p) {
  std::uint64_t w;
  if (!kSafe || p + 9 <= size) {
    w = load_le64(data + p + 1);
  } else {
    w = 0;  // zero padding never matches a token byte
    for (std::size_t i = p + 1, k = 0; i < size; ++i, ++k) w |= std::uint64_t{static_cast<unsigned char>(data[i])} << (8 * k);
  }
  // The byte after '[' selects the only token that can match; one masked compare checks it
  // ("[WARNING]" is the one second spelling).
  const int idx = kTokenIndex[w & 0xFF];
  const bool ok = ((w & kTokens[idx].mask) == kTokens[idx].bytes) | (w == kWarning);
  return ok ? idx : -1;
}

// The level of the first token at or after q in the line that contains q, or -1.
int first_token_in_line(const char* data, std::size_t size, std::size_t q) {
  const void* nl = q < size ? std::memchr(data + q, '\n', size - q) : nullptr;
  const std::size_t eol = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : size;
  while (q < eol) {
    const void* b = std::memchr(data + q, '[', eol - q);
    if (!b) return -1;
    const std::size_t p = static_cast<std::size_t>(static_cast<const char*>(b) - data);
    const int l = classify(data, size, p);
    if (l >= 0) return l;
    q = p + 1;
  }
  return -1;
}

// ---- the block algorithm, independent of how masks are built ----------------------------------

struct Acc {
  std::uint64_t cnt[5] = {};  // cnt[level + 1]; cnt[0] = first candidates that were no token
  std::uint64_t nl = 0;
  unsigned carry = 1;         // the line open at the next block has no candidate yet
};

template <bool kSafe>
DLA_ALWAYS_INLINE void do_block(const char* data, std::size_t size, std::size_t off, std::uint64_t nl, std::uint64_t c,
                                Acc& a) {
  const std::uint64_t s = nl << 1;
  const std::uint64_t x = s & ~c, y = ~c;
#ifdef DLA_SCANNER_X86
  unsigned long long sum;
  const unsigned char co = _addcarry_u64(static_cast<unsigned char>(a.carry), x, y, &sum);
#else
  unsigned long long t, sum;
  const bool co = __builtin_uaddll_overflow(x, y, &t) | __builtin_uaddll_overflow(t, a.carry, &sum);
#endif
  std::uint64_t first = (sum | s) & c;
  a.carry = static_cast<unsigned>(co) | static_cast<unsigned>(nl >> 63);
  a.nl += static_cast<std::uint64_t>(__builtin_popcountll(nl));
  while (first) {
    const std::size_t p = off + static_cast<std::size_t>(__builtin_ctzll(first));
    first &= first - 1;
    const int l = classify<kSafe>(data, size, p);
    ++a.cnt[l + 1];
    if (__builtin_expect(l < 0, 0)) ++a.cnt[first_token_in_line(data, size, p + 1) + 1];  // the line's next token
  }
}

// The byte after a candidate '[': D, E, I or W.
DLA_ALWAYS_INLINE bool is_dewi(unsigned char b) { return (b | 1) == 'E' || b == 'I' || b == 'W'; }

// Masks of the 64 bytes at p (p[64] must be readable: a candidate looks one byte ahead).
DLA_ALWAYS_INLINE void masks_portable(const char* p, std::uint64_t& nl, std::uint64_t& c) {
  std::uint64_t n = 0, k = 0;
  for (int i = 0; i < 64; ++i) {
    const unsigned char b = static_cast<unsigned char>(p[i]);
    n |= std::uint64_t{b == '\n'} << i;
    k |= std::uint64_t{b == '[' && is_dewi(static_cast<unsigned char>(p[i + 1]))} << i;
  }
  nl = n;
  c = k;
}

// A block of `len` <= 64 bytes at `off` through a zero-padded copy (no load crosses the end of the
// buffer). Bits at and above len are cleared: those positions act as neutral filler (neither '\n'
// nor candidate), so the carry into the next block stays right.
template <void (*Masks)(const char*, std::uint64_t&, std::uint64_t&)>
DLA_ALWAYS_INLINE void partial_block(const char* data, std::size_t size, std::size_t off, std::size_t len, Acc& a) {
  alignas(64) char pad[128] = {};
  std::memcpy(pad, data + off, std::min(len + 1, size - off));  // + the next byte for the candidate test
  std::uint64_t nl, c;
  Masks(pad, nl, c);
  const std::uint64_t keep = len >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
  do_block<true>(data, size, off, nl & keep, c & keep, a);
}

// The whole buffer with a given mask builder: a head block up to the first 64-byte aligned
// address (so that block loads do not cross cache lines), whole blocks, and a padded tail.
template <void (*Masks)(const char*, std::uint64_t&, std::uint64_t&)>
DLA_ALWAYS_INLINE Counts run_blocks(const char* data, std::size_t size) {
  Acc a;
  std::size_t off = std::min<std::size_t>(size, (64 - (reinterpret_cast<std::uintptr_t>(data) & 63)) & 63);
  if (off > 0) partial_block<Masks>(data, size, 0, off, a);
  for (; off + 73 <= size; off += 64) {  // room for the 8-byte check of any '[' in the block
    std::uint64_t nl, c;
    Masks(data + off, nl, c);
    do_block<false>(data, size, off, nl, c, a);
  }
  for (; off + 65 <= size; off += 64) {
    std::uint64_t nl, c;
    Masks(data + off, nl, c);
    do_block<true>(data, size, off, nl, c, a);
  }
  if (off < size) partial_block<Masks>(data, size, off, size - off, a);
  Counts out;
  for (int i = 0; i < kNumLevels; ++i)
    if (a.cnt[i + 1] != 0) out[static_cast<Level>(i)] = a.cnt[i + 1];
  out.lines = a.nl + (size > 0 && data[size - 1] != '\n' ? 1 : 0);
  return out;
}

Counts scan_portable(const char* data, std::size_t size) { return run_blocks<masks_portable>(data, size); }

#ifdef DLA_SCANNER_X86

#define DLA_SSE2 __attribute__((target("sse2,popcnt")))
#define DLA_AVX2 __attribute__((target("avx2,bmi,popcnt")))
#define DLA_AVX512 __attribute__((target("avx512f,avx512bw,avx2,bmi,popcnt")))

// SSE2/AVX2 compare the bytes at p and at p + 1 (second, unaligned load). AVX-512 instead loads
// the 64 bytes once and shifts the "D, E, I or W" mask by one, completing bit 63 from p[64]: a
// 64-byte load at p + 1 always crosses a cache line, which measured ~25% slower on Zen 4.
DLA_ALWAYS_INLINE std::uint64_t cands(std::uint64_t lb, std::uint64_t dewi, const char* p) {
  return lb & ((dewi >> 1) | (std::uint64_t{is_dewi(static_cast<unsigned char>(p[64]))} << 63));
}

DLA_SSE2 inline void masks_sse2(const char* p, std::uint64_t& nl, std::uint64_t& c) {
  const __m128i kNl = _mm_set1_epi8('\n'), kLb = _mm_set1_epi8('['), kOne = _mm_set1_epi8(1),
                kE = _mm_set1_epi8('E'), kI = _mm_set1_epi8('I'), kW = _mm_set1_epi8('W');
  std::uint64_t n = 0, k = 0;
  for (int j = 0; j < 4; ++j) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * j));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * j + 1));
    const __m128i next = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v1, kOne), kE),
                                      _mm_or_si128(_mm_cmpeq_epi8(v1, kI), _mm_cmpeq_epi8(v1, kW)));
    const __m128i cand = _mm_and_si128(_mm_cmpeq_epi8(v0, kLb), next);
    n |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v0, kNl)))} << (16 * j);
    k |= std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(cand))} << (16 * j);
  }
  nl = n;
  c = k;
}

DLA_AVX2 inline void masks_avx2(const char* p, std::uint64_t& nl, std::uint64_t& c) {
  const __m256i kNl = _mm256_set1_epi8('\n'), kLb = _mm256_set1_epi8('['), kOne = _mm256_set1_epi8(1),
                kE = _mm256_set1_epi8('E'), kI = _mm256_set1_epi8('I'), kW = _mm256_set1_epi8('W');
  std::uint64_t n = 0, k = 0;
  for (int j = 0; j < 2; ++j) {
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j));
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j + 1));
    const __m256i next = _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_or_si256(v1, kOne), kE),
                                         _mm256_or_si256(_mm256_cmpeq_epi8(v1, kI), _mm256_cmpeq_epi8(v1, kW)));
    const __m256i cand = _mm256_and_si256(_mm256_cmpeq_epi8(v0, kLb), next);
    n |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, kNl)))} << (32 * j);
    k |= std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(cand))} << (32 * j);
  }
  nl = n;
  c = k;
}

DLA_AVX512 inline void masks_avx512(const char* p, std::uint64_t& nl, std::uint64_t& c) {
  const __m512i v = _mm512_loadu_si512(p);
  const __m512i vo = _mm512_or_si512(v, _mm512_set1_epi8(1));
  const std::uint64_t lb = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('['));
  const std::uint64_t dewi = _mm512_cmpeq_epi8_mask(vo, _mm512_set1_epi8('E')) |
                             _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('I')) |
                             _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('W'));
  nl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
  c = cands(lb, dewi, p);
}

DLA_SSE2 Counts scan_sse2(const char* data, std::size_t size) { return run_blocks<masks_sse2>(data, size); }
DLA_AVX2 Counts scan_avx2(const char* data, std::size_t size) { return run_blocks<masks_avx2>(data, size); }
DLA_AVX512 Counts scan_avx512(const char* data, std::size_t size) { return run_blocks<masks_avx512>(data, size); }

bool cpu_has(detail::ScanImpl impl) {
  __builtin_cpu_init();
  switch (impl) {
    case detail::ScanImpl::kSse2: return __builtin_cpu_supports("sse2") && __builtin_cpu_supports("popcnt");
    case detail::ScanImpl::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
    case detail::ScanImpl::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
    default: return true;
  }
}
#else
bool cpu_has(detail::ScanImpl impl) {
  return impl == detail::ScanImpl::kScalar || impl == detail::ScanImpl::kPortable;
}
#endif

using ScanFn = Counts (*)(const char*, std::size_t);

ScanFn impl_fn(detail::ScanImpl impl) {
  if (!cpu_has(impl)) return detail::scan_buffer_scalar;
  switch (impl) {
    case detail::ScanImpl::kPortable: return scan_portable;
#ifdef DLA_SCANNER_X86
    case detail::ScanImpl::kSse2: return scan_sse2;
    case detail::ScanImpl::kAvx2: return scan_avx2;
    case detail::ScanImpl::kAvx512: return scan_avx512;
#endif
    default: return detail::scan_buffer_scalar;
  }
}

ScanFn best_fn() {
  static const ScanFn fn = impl_fn(detail::best_impl());
  return fn;
}

}  // namespace

namespace detail {

// If p (pointing at '[') starts a level token that ends before `end`, returns its level index.
static int level_at_scalar(const char* p, const char* end) {
  std::size_t n = static_cast<std::size_t>(end - p);
  auto is = [&](const char* tok, std::size_t len) { return n >= len && std::memcmp(p, tok, len) == 0; };
  switch (p[1 < n ? 1 : 0]) {
    case 'D': return is("[DEBUG]", 7) ? 0 : -1;
    case 'E': return is("[ERROR]", 7) ? 1 : -1;
    case 'I': return is("[INFO]", 6) ? 2 : -1;
    case 'W': return (is("[WARN]", 6) || is("[WARNING]", 9)) ? 3 : -1;
    default: return -1;
  }
}

Counts scan_buffer_scalar(const char* data, std::size_t size) {
  Counts c;
  std::uint64_t per_level[kNumLevels] = {};
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* eol = nl ? nl : end;
    ++c.lines;
    for (const char* q = p; q < eol;) {
      q = static_cast<const char*>(std::memchr(q, '[', static_cast<std::size_t>(eol - q)));
      if (!q) break;
      int l = level_at_scalar(q, eol);
      if (l >= 0) {
        ++per_level[l];
        break;
      }
      ++q;
    }
    p = nl ? nl + 1 : end;
  }
  for (int i = 0; i < kNumLevels; ++i)
    if (per_level[i] != 0) c[static_cast<Level>(i)] = per_level[i];
  return c;
}

const char* impl_name(ScanImpl impl) {
  switch (impl) {
    case ScanImpl::kScalar: return "scalar";
    case ScanImpl::kPortable: return "portable";
    case ScanImpl::kSse2: return "sse2";
    case ScanImpl::kAvx2: return "avx2";
    case ScanImpl::kAvx512: return "avx512";
  }
  return "?";
}

std::vector<ScanImpl> available_impls() {
  std::vector<ScanImpl> out;
  for (ScanImpl i : {ScanImpl::kScalar, ScanImpl::kPortable, ScanImpl::kSse2, ScanImpl::kAvx2, ScanImpl::kAvx512})
    if (cpu_has(i) && (impl_fn(i) != scan_buffer_scalar || i == ScanImpl::kScalar)) out.push_back(i);
  return out;
}

ScanImpl best_impl() {
  // The fastest available; AVX2 before AVX-512: on the AMD EPYC (Zen 4) this was measured on,
  // the AVX-512 build is ~8% slower (512-bit ops are split in two; see bench_scanner).
  static const ScanImpl best = [] {
    const auto all = available_impls();
    for (ScanImpl i : {ScanImpl::kAvx2, ScanImpl::kAvx512, ScanImpl::kSse2})
      if (std::find(all.begin(), all.end(), i) != all.end()) return i;
    return ScanImpl::kScalar;  // the portable bitmask build is slower than memchr-based scalar code
  }();
  return best;
}

Counts scan_buffer_with(ScanImpl impl, const char* data, std::size_t size) { return impl_fn(impl)(data, size); }

}  // namespace detail

Counts scan_buffer(const char* data, std::size_t size) { return best_fn()(data, size); }

}  // namespace dla
