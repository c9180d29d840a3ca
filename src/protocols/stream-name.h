// Stream name rules (manual 3.1), applied wherever a name enters: API, URLs, pushes.
#pragma once

#include <string>
#include <string_view>

namespace estuary {

// Longest stream name, in bytes, wildcard part included.
constexpr size_t kMaxStreamNameBytes = 100;

// Returns the canonical form of `raw`: the base part lower-cased with only a-z, 0-9 and '_' kept;
// a '+' or ' ' starts the wildcard part, which keeps any printable character (control characters
// are dropped) and is joined with '+'. The result is cut to kMaxStreamNameBytes without splitting
// a UTF-8 sequence. May return "" when nothing valid is left.
std::string sanitize_stream_name(std::string_view raw);

// The configuration name of a stream: the part before '+' ("live" for "live+cam1").
std::string_view stream_base_name(std::string_view name);

// The wildcard part after '+', or "" when there is none.
std::string_view stream_wildcard_part(std::string_view name);

}  // namespace estuary
