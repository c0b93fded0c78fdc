#include "common/ping_message.hpp"

#include <algorithm>

namespace taps::apps {
namespace {

constexpr std::uint8_t magic[4] = {'t', 'p', 'n', 'g'};
constexpr std::uint8_t version = 1;
constexpr std::size_t fixed_size = 4 + 1 + 1 + 4 + 4 + 8 + 1;

void put(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void put_text(std::vector<std::uint8_t>& out, const std::string& text) {
  auto n = std::min<std::size_t>(text.size(), 255);
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
}

std::uint64_t get(std::span<const std::uint8_t> bytes, std::size_t at, int n) {
  std::uint64_t value = 0;
  for (int i = 0; i < n; ++i) value = value << 8 | bytes[at + static_cast<std::size_t>(i)];
  return value;
}

bool known(char kind) { return kind == 'Q' || kind == 'U' || kind == 'M' || kind == 'E'; }

}  // namespace

std::vector<std::uint8_t> encode(const PingMessage& m) {
  std::vector<std::uint8_t> out(std::begin(magic), std::end(magic));
  out.push_back(version);
  out.push_back(static_cast<std::uint8_t>(m.kind));
  put(out, m.seq, 4);
  put(out, m.nonce, 4);
  put(out, static_cast<std::uint64_t>(m.client_time_ns), 8);
  out.push_back(m.hop_limit);
  put_text(out, m.source);
  put_text(out, m.group);
  put_text(out, m.detail);
  return out;
}

std::optional<PingMessage> decode_ping_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < fixed_size + 3 || !std::equal(std::begin(magic), std::end(magic), bytes.begin())) return std::nullopt;
  if (bytes[4] != version || !known(static_cast<char>(bytes[5]))) return std::nullopt;
  PingMessage m;
  m.kind = static_cast<PingMessage::Kind>(bytes[5]);
  m.seq = static_cast<std::uint32_t>(get(bytes, 6, 4));
  m.nonce = static_cast<std::uint32_t>(get(bytes, 10, 4));
  m.client_time_ns = static_cast<std::int64_t>(get(bytes, 14, 8));
  m.hop_limit = bytes[22];
  std::size_t at = fixed_size;
  for (auto* text : {&m.source, &m.group, &m.detail}) {
    if (at >= bytes.size()) return std::nullopt;
    std::size_t n = bytes[at++];
    if (bytes.size() - at < n) return std::nullopt;
    text->assign(bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  if (at != bytes.size()) return std::nullopt;
  return m;
}

}  // namespace taps::apps
