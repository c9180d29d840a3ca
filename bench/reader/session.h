// One viewer's protocol state, with no I/O: the event loop in reader.cpp moves bytes in and out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

class Session {
 public:
  virtual ~Session() = default;
  // Bytes to send as soon as the TCP connection is up.
  virtual std::string Greeting() = 0;
  // Consumes bytes received from the server and appends any bytes to send back to *out. Returns how
  // many of the consumed bytes were media (what the viewer would play).
  virtual size_t Feed(const uint8_t *data, size_t len, std::string *out) = 0;

  // Where the session is, for reporting viewers that never got media.
  virtual const char *Phase() const = 0;

  bool failed() const { return !error_.empty(); }
  const std::string &error() const { return error_; }

 protected:
  void Fail(const std::string &why) {
    if (error_.empty()) error_ = why;
  }

 private:
  std::string error_;
};

}  // namespace bench
