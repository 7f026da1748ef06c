// CRC-32C (Castagnoli, the iSCSI/ext4/HDFS polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum of every stored block (block.h's block_crc). Computed with the CPU's crc32 instruction
// when there is one (x86-64 SSE4.2: about 9 GB/s per core here, against 2.6 GB/s for zlib's
// crc32), else with a portable slicing-by-8 table; both give the same value (tested).
// Every read of a replica is verified, so this speed is what a local block read costs on top of
// the scan. Thread-safe (no mutable state after the first call).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dla {

// Continues a CRC-32C: crc32c_extend(0, data, n) is the CRC-32C of the bytes ("123456789" ->
// 0xe3069283), and crc32c_extend(crc32c_extend(0, a), b) that of a followed by b.
std::uint32_t crc32c_extend(std::uint32_t crc, const char* data, std::size_t n);

namespace detail {
std::uint32_t crc32c_portable(std::uint32_t crc, const char* data, std::size_t n);
// Whether this CPU has the instruction; crc32c_hardware may be called only then.
bool crc32c_hardware_available();
std::uint32_t crc32c_hardware(std::uint32_t crc, const char* data, std::size_t n);
}  // namespace detail

}  // namespace dla
