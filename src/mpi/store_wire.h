// The payloads of the replicated store's messages (tags 120..139 in src/mpi/tags.h). Pure C++, no
// MPI (unit-tested in store_wire_test.cc). Every store message is one header line of decimal
// integers separated by single spaces and ended by '\n', then a body of raw bytes (a block, a
// manifest, an inventory, an error message) taken verbatim: binary-safe, no escaping, one copy.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dla::mpi::store_wire {

struct Msg {
  std::vector<long long> head;
  std::string body;
};

std::string encode(const std::vector<long long>& head, std::string_view body = {});
// Error (kCorruption) if there is no '\n' or a head field is not a decimal integer.
Result<Msg> decode(std::string_view text);
// Like decode, but also an error when the head has fewer than `min_fields` numbers.
Result<Msg> decode(std::string_view text, std::size_t min_fields);

// DATA status (the answer to a FETCH).
enum DataStatus : int { kDataOk = 0, kDataCorrupt = 1, kDataMissing = 2, kDataError = 3 };
const char* data_status_name(int s);

// PUT: one block travelling down a chain. Every member stores it, acknowledges to ack_to (ACK with
// its position), and forwards it to chain[pos + 1]; the tail's ACK (pos == chain.size() - 1) says
// that every member stored it. `attempt` lets the coordinator ignore acks of an abandoned send.
struct Put {
  int block = 0;
  std::uint32_t crc = 0;
  long long attempt = 0;
  int ack_to = 0;
  int pos = 0;
  std::vector<int> chain;
  std::string bytes;
};
std::string encode_put(const Put& p);
Result<Put> decode_put(std::string_view text);
// The same PUT for the next member (pos + 1), reusing the body: one copy of the bytes.
std::string encode_put_forward(const Put& p);

// ACK from chain member `rank` at `pos`.
struct Ack {
  int block = 0;
  long long attempt = 0;
  int rank = 0;
  int pos = 0;
};
std::string encode_ack(const Ack& a);
Result<Ack> decode_ack(std::string_view text);

// NACK: member `rank` could not store the block (or a COPY holder could not read it); `code` is a
// dla::Code value, `message` the one-line reason.
struct Nack {
  int block = 0;
  long long attempt = 0;
  int rank = 0;
  int code = 0;
  std::string message;
};
std::string encode_nack(const Nack& n);
Result<Nack> decode_nack(std::string_view text);

// COPY order: the holder sends block (crc) to `to` as a one-member chain, ack_to = the sender.
struct Copy {
  long long order = 0;
  int block = 0;
  std::uint32_t crc = 0;
  int to = 0;
};
std::string encode_copy(const Copy& c);
Result<Copy> decode_copy(std::string_view text);

// One line of an inventory answer.
struct InvEntry {
  int block = 0;
  std::uint32_t crc = 0;
  std::uint64_t size = 0;
  bool ok = true;  // verified (or not verified when the request said so)
};
std::string encode_inventory(long long req, const std::vector<InvEntry>& held);
struct Inventory {
  long long req = 0;
  std::vector<InvEntry> held;
};
Result<Inventory> decode_inventory(std::string_view text);

// The body of an INV_REQ that trims first (fsck --repair's orphans): the block files (block, crc)
// the rank removes from its own store dir before it answers its inventory; one "block crc\n" line
// each. An empty body (every other INV_REQ) removes nothing.
struct FileId {
  int block = 0;
  std::uint32_t crc = 0;
  bool operator==(const FileId& o) const { return block == o.block && crc == o.crc; }
};
std::string encode_drop_list(const std::vector<FileId>& files);
Result<std::vector<FileId>> decode_drop_list(std::string_view body);

}  // namespace dla::mpi::store_wire
