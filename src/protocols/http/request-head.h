// HTTP/1.x request heads (RFC 9112) as bytes off the wire: the request line, the header fields,
// the framing of the body, and the decoding of the target. Pure: no I/O, no allocation beyond
// the result. Every input is untrusted; the parser never reads past the view it is given.
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace estuary::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct RequestHead {
  std::string method;  // as sent (tokens are case-sensitive)
  std::string path;    // percent-decoded, starts with '/' ("*" for OPTIONS *)
  std::string query;   // undecoded, without the '?'; "" when none
  int minor_version = 1;
  HeaderList headers;  // names as sent, values without surrounding blanks
  std::optional<guint64> content_length;
  bool transfer_encoding = false;  // any Transfer-Encoding: the body is not length-delimited
  bool keep_alive = true;          // HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive"
  bool expect_continue = false;    // "Expect: 100-continue"

  // First header of that name (case-insensitive); nullptr when absent.
  const std::string *header(std::string_view name) const;
};

enum class ParseState {
  kIncomplete,  // the head has not ended yet within `max_bytes`: read more
  kDone,        // `consumed` bytes made the head; the body (if any) follows them
  kError,       // answer `status` (400, 431, 501, 505) and close
};

struct ParseResult {
  ParseState state = ParseState::kIncomplete;
  gsize consumed = 0;
  guint status = 0;
  const char *reason = "";  // static text naming what was wrong
};

struct HeadLimits {
  gsize max_bytes = 16 * 1024;  // request line + headers + the blank line
  gsize max_headers = 100;
};

// Parses the head at the start of `data`. Lines may end in CRLF or a bare LF; empty lines before
// the request line are skipped (RFC 9112 2.2). `out` is filled only on kDone.
ParseResult parse_request_head(std::string_view data, const HeadLimits &limits, RequestHead *out);

// Percent-decodes a path. Refuses (returns false) invalid escapes and anything that decodes to NUL.
bool decode_path(std::string_view in, std::string *out);

// Decodes one application/x-www-form-urlencoded component ('+' is a space). Invalid escapes are
// kept as they are, as browsers do; "%00" decodes to a NUL byte (the result is byte-exact: use it
// with its length). False when the result contains a NUL.
bool decode_form_component(std::string_view in, std::string *out);

// Splits and decodes a query string or form body: "a=1&b=x+y" -> {a,1},{b,"x y"}. A name without
// '=' gets "". Pairs whose name holds a NUL are left out; values are kept byte-exact, NULs too, so
// that a consumer sees malformed input as malformed (a JSON command with a NUL fails to parse)
// instead of silently losing the parameter.
HeaderList decode_form(std::string_view in);

// True when the comma-separated header value lists `token` (case-insensitive).
bool header_has_token(std::string_view value, std::string_view token);

}  // namespace estuary::http
