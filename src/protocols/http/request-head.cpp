#include "protocols/http/request-head.h"

#include <algorithm>
#include <cstring>

#include "protocols/text-fields.h"

namespace estuary::http {

namespace {

// RFC 9110 5.6.2 tchar.
bool is_tchar(unsigned char c) {
  if (g_ascii_isalnum(c)) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// Field values: visible ASCII, obs-text, space and tab; no other control characters.
bool is_field_value(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && g_ascii_strncasecmp(a.data(), b.data(), a.size()) == 0;
}

int hex_value(char c) {
  return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

ParseResult fail(guint status, const char *reason) {
  ParseResult r;
  r.state = ParseState::kError;
  r.status = status;
  r.reason = reason;
  return r;
}

// Takes one line off `rest` (without its CRLF or LF); false when no line end is within it.
bool next_line(std::string_view &rest, std::string_view *line) {
  gsize nl = rest.find('\n');
  if (nl == std::string_view::npos) return false;
  gsize end = nl > 0 && rest[nl - 1] == '\r' ? nl - 1 : nl;
  *line = rest.substr(0, end);
  rest.remove_prefix(nl + 1);
  return true;
}

}  // namespace

const std::string *RequestHead::header(std::string_view name) const {
  for (const auto &h : headers)
    if (iequals(h.first, name)) return &h.second;
  return nullptr;
}

bool header_has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    gsize comma = value.find(',');
    std::string_view item = trim_ows(value.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool decode_path(std::string_view in, std::string *out) {
  out->clear();
  out->reserve(in.size());
  for (gsize i = 0; i < in.size(); i++) {
    char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return false;
    out->push_back(c);
  }
  return true;
}

bool decode_form_component(std::string_view in, std::string *out) {
  out->clear();
  out->reserve(in.size());
  bool clean = true;
  for (gsize i = 0; i < in.size(); i++) {
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && in.size() - i >= 3 && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      c = static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    }
    if (c == '\0') clean = false;
    out->push_back(c);
  }
  return clean;
}

HeaderList decode_form(std::string_view in) {
  HeaderList out;
  while (!in.empty()) {
    gsize amp = in.find('&');
    std::string_view pair = in.substr(0, amp);
    if (!pair.empty()) {
      gsize eq = pair.find('=');
      std::string name, value;
      bool ok = decode_form_component(pair.substr(0, eq), &name);
      if (ok && eq != std::string_view::npos) decode_form_component(pair.substr(eq + 1), &value);
      if (ok) out.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    in.remove_prefix(amp + 1);
  }
  return out;
}

ParseResult parse_request_head(std::string_view data, const HeadLimits &limits, RequestHead *out) {
  // Look only at what the limit allows, so a client cannot make us scan megabytes per read.
  std::string_view rest = data.substr(0, std::min(data.size(), limits.max_bytes));
  std::string_view line;
  // Skip leading empty lines (a client's stray CRLF after a previous body).
  for (;;) {
    std::string_view before = rest;
    if (!next_line(rest, &line)) {
      if (data.size() >= limits.max_bytes) return fail(431, "request head too large");
      return {};
    }
    if (!line.empty()) {
      rest = before;
      break;
    }
  }
  // The whole head must be within the limit: find its end first.
  std::string_view scan = rest;
  gsize lines = 0;
  for (;;) {
    if (!next_line(scan, &line)) {
      if (data.size() >= limits.max_bytes) return fail(431, "request head too large");
      return {};
    }
    if (line.empty()) break;
    if (++lines > limits.max_headers + 1) return fail(431, "too many header fields");
  }
  gsize consumed = static_cast<gsize>(scan.data() - data.data());

  RequestHead head;
  next_line(rest, &line);
  // method SP request-target SP HTTP-version
  gsize sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(400, "malformed request line");
  gsize sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed method");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !g_ascii_isdigit(version[5]) ||
      version[6] != '.' || !g_ascii_isdigit(version[7]))
    return fail(400, "malformed HTTP version");
  if (version[5] != '1') return fail(505, "only HTTP/1.x is served");
  head.minor_version = version[7] - '0';
  if (target.empty()) return fail(400, "empty request target");
  for (unsigned char c : target)
    if (c <= 0x20 || c >= 0x7f) return fail(400, "request target with blanks or controls");
  // absolute-form (a request through a proxy): keep the path and query only.
  if (target[0] != '/' && target != "*") {
    gsize scheme = target.find("://");
    if (scheme == std::string_view::npos) return fail(400, "malformed request target");
    gsize slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target == "*" && method != "OPTIONS") return fail(400, "'*' is only for OPTIONS");
  gsize q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (q != std::string_view::npos) head.query.assign(target.substr(q + 1));
  if (gsize hash = head.query.find('#'); hash != std::string::npos) head.query.resize(hash);
  if (!decode_path(raw_path, &head.path)) return fail(400, "bad percent-escape in the path");
  head.method.assign(method);

  bool connection_close = false, connection_keep = false;
  head.headers.reserve(std::min<gsize>(lines, 32));
  while (next_line(rest, &line) && !line.empty()) {
    if (line[0] == ' ' || line[0] == '\t') return fail(400, "folded header line");
    gsize colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "header line without ':'");
    std::string_view name = line.substr(0, colon);
    // No blank between the name and the colon (RFC 9112 5.1: request smuggling).
    if (!is_token(name)) return fail(400, "malformed header name");
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) return fail(400, "control character in a header value");
    if (iequals(name, "Content-Length")) {
      guint64 length;
      if (!parse_decimal(value, &length)) return fail(400, "malformed Content-Length");
      if (head.content_length && *head.content_length != length)
        return fail(400, "conflicting Content-Length headers");
      head.content_length = length;
    } else if (iequals(name, "Transfer-Encoding")) {
      head.transfer_encoding = true;
    } else if (iequals(name, "Connection")) {
      if (header_has_token(value, "close")) connection_close = true;
      if (header_has_token(value, "keep-alive")) connection_keep = true;
    } else if (iequals(name, "Expect")) {
      if (iequals(value, "100-continue")) head.expect_continue = true;
    }
    head.headers.emplace_back(std::string(name), std::string(value));
  }
  // A body framed both ways is how requests are smuggled past proxies: refuse it.
  if (head.transfer_encoding && head.content_length)
    return fail(400, "both Content-Length and Transfer-Encoding");
  head.keep_alive = head.minor_version >= 1 ? !connection_close : (connection_keep && !connection_close);
  if (head.minor_version == 0) head.expect_continue = false;

  *out = std::move(head);
  ParseResult r;
  r.state = ParseState::kDone;
  r.consumed = consumed;
  return r;
}

}  // namespace estuary::http
