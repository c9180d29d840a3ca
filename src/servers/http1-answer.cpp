// Http1Connection::answer(): the status line and headers of an answer, its range, and how its
// body is queued. Split from http1-connection.cpp, which moves the bytes.
#include <gst/gst.h>

#include "protocols/http/byte-range.h"
#include "servers/http1-connection.h"

GST_DEBUG_CATEGORY_EXTERN(estuary_http1_debug);
#define GST_CAT_DEFAULT estuary_http1_debug

namespace estuary {

namespace {

const char *reason_phrase(guint status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

bool no_body_status(guint status) { return status < 200 || status == 204 || status == 304; }

void append_number(std::string &s, guint64 v) {
  char buf[24];
  int n = g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  s.append(buf, static_cast<gsize>(n));
}

}  // namespace

const std::string &Http1Core::date_line() {
  gint64 second = g_get_real_time() / G_USEC_PER_SEC;
  if (second != date_second_) {
    date_second_ = second;
    time_t t = static_cast<time_t>(second);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    // IMF-fixdate; strftime's %a/%b follow the locale, so the names are spelled out here.
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    g_snprintf(buf, sizeof buf, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday],
               tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    date_line_ = buf;
  }
  return date_line_;
}

void Http1Connection::answer(HttpExchange &ex, guint status, std::string_view content_type,
                             Http1Body body) {
  if (closed_ || ex.answered_) return;
  ex.answered_ = true;
  ex.gone_ = nullptr;
  bool head_only = ex.method_ == "HEAD";
  bool close_after = ex.close_after_ || !keep_alive_ || peer_eof_;

  // Ranges apply to complete answers of GET/HEAD.
  guint64 size = body.size();
  std::string content_range;
  GRef<GBytes> slice;  // the part of body.bytes a range selects
  if (status == 200 && (ex.method_ == "GET" || head_only)) {
    if (const std::string *range = ex.header("Range")) {
      http::ByteRange r = http::parse_byte_range(*range, size);
      if (r.kind == http::RangeKind::kOne) {
        status = 206;
        content_range = "Content-Range: bytes " + std::to_string(r.first) + "-" +
                        std::to_string(r.last) + "/" + std::to_string(size) + "\r\n";
        guint64 len = r.last - r.first + 1;
        if (body.bytes) {
          slice = GRef<GBytes>::adopt(g_bytes_new_from_bytes(body.bytes, r.first, len));
          body.bytes = slice.get();
        } else if (body.fd >= 0) {
          body.offset += r.first;
          body.length = len;
        } else {
          body.text = body.text.substr(r.first, len);
        }
        size = len;
      } else if (r.kind != http::RangeKind::kIgnore) {
        status = 416;
        content_range = "Content-Range: bytes */" + std::to_string(size) + "\r\n";
        body = Http1Body{};
        size = 0;
      }
    }
  }

  std::string head;
  head.reserve(256 + (body.bytes || body.fd >= 0 ? 0 : body.text.size()));
  // Our own version, also to HTTP/1.0 clients (RFC 9110 2.5); keep-alive is said explicitly.
  head.append("HTTP/1.1 ");
  append_number(head, status);
  head.push_back(' ');
  head.append(reason_phrase(status));
  head.append("\r\n");
  head.append(core_->server_line);
  head.append(core_->date_line());
  if (!content_type.empty() && !no_body_status(status)) {
    head.append("Content-Type: ");
    head.append(content_type);
    head.append("\r\n");
  }
  if (!no_body_status(status)) {
    head.append("Content-Length: ");
    append_number(head, size);
    head.append("\r\n");
  }
  head.append(content_range);
  if (close_after) {
    head.append("Connection: close\r\n");
  } else if (ex.http10()) {
    head.append("Connection: keep-alive\r\n");
  }
  for (const auto &h : ex.response_headers_) {
    head.append(h.first);
    head.append(": ");
    head.append(h.second);
    head.append("\r\n");
  }
  head.append("\r\n");

  std::shared_ptr<HttpExchange> owner = ex.shared_from_this();
  bool send_body = !head_only && !no_body_status(status) && size > 0;
  // Small bodies travel in the head's buffer: one chunk, one send.
  if (send_body && !body.bytes && body.fd < 0 && body.text.size() <= 64 * 1024) {
    head.append(body.text);
    send_body = false;
  }
  Chunk h;
  h.text = std::move(head);
  h.end = h.text.size();
  h.owner = owner;
  out_bytes_ += h.end;
  out_.push_back(std::move(h));
  if (send_body) {
    Chunk c;
    c.owner = owner;
    if (body.bytes) {
      c.bytes = GRef<GBytes>::ref(body.bytes);
      c.end = size;
      out_bytes_ += size;
    } else if (body.fd >= 0) {
      c.fd = body.fd;
      c.pos = body.offset;
      c.end = body.offset + size;
      c.keep = std::move(body.keep);
    } else {
      c.text.assign(body.text);
      c.end = size;
      out_bytes_ += size;
    }
    out_.push_back(std::move(c));
  }
  served_ = true;
  if (close_after) closing_ = true;
  if (current_.get() == &ex) current_.reset();
  std::shared_ptr<Http1Connection> self = shared_from_this();
  flush();
  if (closed_) return;
  process();
  if (!closed_) update_events();
}

}  // namespace estuary
