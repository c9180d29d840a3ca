#include "protocols/stream-name.h"

namespace estuary {

namespace {

bool is_base_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// Cuts `s` to at most `max` bytes, backing off so that no UTF-8 sequence is split.
void truncate_utf8(std::string &s, size_t max) {
  if (s.size() <= max) return;
  size_t cut = max;
  // Continuation bytes are 10xxxxxx: step back to the start of the sequence that straddles `max`.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

}  // namespace

std::string sanitize_stream_name(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t sep = raw.find_first_of("+ ");
  std::string_view base = raw.substr(0, sep);
  for (char c : base) {
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (is_base_char(lower)) out.push_back(lower);
  }
  if (sep != std::string_view::npos) {
    out.push_back('+');
    for (char c : raw.substr(sep + 1)) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F) continue;
      out.push_back(c);
    }
  }
  truncate_utf8(out, kMaxStreamNameBytes);
  return out;
}

std::string_view stream_base_name(std::string_view name) {
  return name.substr(0, name.find('+'));
}

std::string_view stream_wildcard_part(std::string_view name) {
  size_t plus = name.find('+');
  return plus == std::string_view::npos ? std::string_view() : name.substr(plus + 1);
}

}  // namespace estuary
