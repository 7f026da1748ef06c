#include "mpi/store_wire.h"

#include <charconv>

namespace dla::mpi::store_wire {
namespace {

Error bad(const std::string& why) { return Error{"store message: " + why, Code::kCorruption}; }

std::string join(std::vector<long long> head) {
  std::string s;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (i) s += ' ';
    s += std::to_string(head[i]);
  }
  s += '\n';
  return s;
}

}  // namespace

std::string encode(const std::vector<long long>& head, std::string_view body) {
  std::string s = join(head);
  s.append(body.data(), body.size());
  return s;
}

Result<Msg> decode(std::string_view text) {
  const auto nl = text.find('\n');
  if (nl == std::string_view::npos) return bad("no header line");
  Msg m;
  std::string_view h = text.substr(0, nl);
  std::size_t i = 0;
  while (i < h.size()) {
    std::size_t j = h.find(' ', i);
    if (j == std::string_view::npos) j = h.size();
    long long v = 0;
    auto [p, ec] = std::from_chars(h.data() + i, h.data() + j, v);
    if (ec != std::errc() || p != h.data() + j || j == i) return bad("header field is not a number");
    m.head.push_back(v);
    i = j + 1;
  }
  m.body.assign(text.substr(nl + 1));
  return m;
}

Result<Msg> decode(std::string_view text, std::size_t min_fields) {
  auto m = decode(text);
  if (m && m->head.size() < min_fields) return bad("header too short");
  return m;
}

const char* data_status_name(int s) {
  switch (s) {
    case kDataOk: return "ok";
    case kDataCorrupt: return "corrupt";
    case kDataMissing: return "missing";
    default: return "error";
  }
}

std::string encode_put(const Put& p) {
  std::vector<long long> h{p.block, static_cast<long long>(p.crc), p.attempt, p.ack_to, p.pos,
                           static_cast<long long>(p.chain.size())};
  for (int r : p.chain) h.push_back(r);
  return encode(h, p.bytes);
}

std::string encode_put_forward(const Put& p) {
  Put next;
  next.block = p.block;
  next.crc = p.crc;
  next.attempt = p.attempt;
  next.ack_to = p.ack_to;
  next.pos = p.pos + 1;
  next.chain = p.chain;
  std::vector<long long> h{next.block, static_cast<long long>(next.crc), next.attempt, next.ack_to, next.pos,
                           static_cast<long long>(next.chain.size())};
  for (int r : next.chain) h.push_back(r);
  return encode(h, p.bytes);
}

Result<Put> decode_put(std::string_view text) {
  auto m = decode(text, 6);
  if (!m) return m.err();
  const auto& h = m->head;
  if (h[5] < 1 || h.size() != 6 + static_cast<std::size_t>(h[5])) return bad("PUT chain length");
  Put p;
  p.block = static_cast<int>(h[0]);
  p.crc = static_cast<std::uint32_t>(h[1]);
  p.attempt = h[2];
  p.ack_to = static_cast<int>(h[3]);
  p.pos = static_cast<int>(h[4]);
  for (std::size_t i = 6; i < h.size(); ++i) p.chain.push_back(static_cast<int>(h[i]));
  if (p.pos < 0 || p.pos >= static_cast<int>(p.chain.size())) return bad("PUT position outside its chain");
  p.bytes = std::move(m->body);
  return p;
}

std::string encode_ack(const Ack& a) { return encode({a.block, a.attempt, a.rank, a.pos}); }

Result<Ack> decode_ack(std::string_view text) {
  auto m = decode(text, 4);
  if (!m) return m.err();
  const auto& h = m->head;
  return Ack{static_cast<int>(h[0]), h[1], static_cast<int>(h[2]), static_cast<int>(h[3])};
}

std::string encode_nack(const Nack& n) { return encode({n.block, n.attempt, n.rank, n.code}, n.message); }

Result<Nack> decode_nack(std::string_view text) {
  auto m = decode(text, 4);
  if (!m) return m.err();
  const auto& h = m->head;
  return Nack{static_cast<int>(h[0]), h[1], static_cast<int>(h[2]), static_cast<int>(h[3]), std::move(m->body)};
}

std::string encode_copy(const Copy& c) { return encode({c.order, c.block, static_cast<long long>(c.crc), c.to}); }

Result<Copy> decode_copy(std::string_view text) {
  auto m = decode(text, 4);
  if (!m) return m.err();
  const auto& h = m->head;
  return Copy{h[0], static_cast<int>(h[1]), static_cast<std::uint32_t>(h[2]), static_cast<int>(h[3])};
}

std::string encode_inventory(long long req, const std::vector<InvEntry>& held) {
  std::string body;
  for (const auto& e : held)
    body += std::to_string(e.block) + ' ' + std::to_string(e.crc) + ' ' + std::to_string(e.size) + ' ' +
            (e.ok ? "1" : "0") + '\n';
  return encode({req, static_cast<long long>(held.size())}, body);
}

Result<Inventory> decode_inventory(std::string_view text) {
  auto m = decode(text, 2);
  if (!m) return m.err();
  Inventory inv;
  inv.req = m->head[0];
  std::string_view body = m->body;
  while (!body.empty()) {
    const auto nl = body.find('\n');
    if (nl == std::string_view::npos) return bad("inventory line");
    auto line = decode(body.substr(0, nl + 1), 4);  // each line is itself "numbers\n"
    if (!line) return bad("inventory line");
    const auto& h = line->head;
    inv.held.push_back(InvEntry{static_cast<int>(h[0]), static_cast<std::uint32_t>(h[1]),
                                static_cast<std::uint64_t>(h[2]), h[3] != 0});
    body.remove_prefix(nl + 1);
  }
  if (static_cast<long long>(inv.held.size()) != m->head[1]) return bad("inventory count");
  return inv;
}

std::string encode_drop_list(const std::vector<FileId>& files) {
  std::string body;
  for (const auto& f : files) body += std::to_string(f.block) + ' ' + std::to_string(f.crc) + '\n';
  return body;
}

Result<std::vector<FileId>> decode_drop_list(std::string_view body) {
  std::vector<FileId> out;
  while (!body.empty()) {
    const auto nl = body.find('\n');
    if (nl == std::string_view::npos) return bad("drop list line");
    auto line = decode(body.substr(0, nl + 1), 2);
    if (!line || line->head[0] < 0 || line->head[0] > 0x7fffffff || line->head[1] < 0 || line->head[1] > 0xffffffffLL)
      return bad("drop list line");
    out.push_back(FileId{static_cast<int>(line->head[0]), static_cast<std::uint32_t>(line->head[1])});
    body.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace dla::mpi::store_wire
