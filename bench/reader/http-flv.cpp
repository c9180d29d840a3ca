#include "http-flv.h"

#include <algorithm>
#include <cctype>

namespace bench {

namespace {
constexpr size_t kMaxHeader = 16 * 1024;
}

HttpFlvRead::HttpFlvRead(std::string host, std::string path, std::string magic)
    : host_(std::move(host)), path_(std::move(path)), magic_(std::move(magic)) {}

std::string HttpFlvRead::Greeting() {
  return "GET " + path_ + " HTTP/1.1\r\nHost: " + host_ +
         "\r\nUser-Agent: estuary-bench-reader\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

size_t HttpFlvRead::Feed(const uint8_t *data, size_t len, std::string *) {
  if (in_body_ && checked_magic_) return len;
  size_t body = 0;
  if (!in_body_) {
    head_.append(reinterpret_cast<const char *>(data), len);
    size_t end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > kMaxHeader) Fail("response header over 16 KiB");
      return 0;
    }
    std::string status = head_.substr(0, head_.find("\r\n"));
    if (status.compare(0, 5, "HTTP/") != 0 || status.find(" 200") == std::string::npos) {
      Fail("HTTP status: " + status);
      return 0;
    }
    std::string lower = head_.substr(0, end);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    chunked_ = lower.find("transfer-encoding: chunked") != std::string::npos;
    in_body_ = true;
    body = head_.size() - (end + 4);
    head_.erase(0, end + 4);
  } else {
    body = len;
    head_.append(reinterpret_cast<const char *>(data), std::min<size_t>(len, 16));
  }
  // With chunked framing the body starts with a chunk size, so the FLV magic is not at offset 0;
  // look for it in the first bytes either way.
  const size_t need = chunked_ ? 16 : 3;
  if (head_.size() >= need) {
    if (head_.find(magic_) == std::string::npos) {
      Fail(magic_ == "FLV" ? "body is not FLV" : "body does not start with the format's magic");
      return 0;
    }
    checked_magic_ = true;
    head_.clear();
  }
  return body;
}

}  // namespace bench
