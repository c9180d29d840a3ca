// An HTTP-FLV (or HTTP-TS: `magic` "\x47") viewer: one GET, a 200 status check, the format's
// magic near the body start, then every body byte counts as media.
#pragma once

#include <string>

#include "session.h"

namespace bench {

class HttpFlvRead : public Session {
 public:
  HttpFlvRead(std::string host, std::string path, std::string magic = "FLV");
  std::string Greeting() override;
  size_t Feed(const uint8_t *data, size_t len, std::string *out) override;
  const char *Phase() const override {
    return in_body_ ? "no body bytes yet" : "waiting for the response header";
  }

 private:
  std::string host_, path_, magic_;
  bool in_body_ = false;
  bool checked_magic_ = false;
  bool chunked_ = false;
  std::string head_;  // response header bytes until the blank line, then the first body bytes
};

}  // namespace bench
