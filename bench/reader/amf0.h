// Just enough AMF0 for an RTMP player: write the commands a player sends, and read the replies a
// server sends back (command name, transaction id, numbers, strings, and the string properties of
// objects, which carry the onStatus "code").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bench {

class Amf0Writer {
 public:
  void Number(double v);
  void Boolean(bool v);
  void String(const std::string &v);
  void Null();
  void ObjectBegin();
  void Key(const std::string &key);  // followed by one value
  void ObjectEnd();
  const std::string &bytes() const { return out_; }

 private:
  void U16(uint16_t v);
  std::string out_;
};

struct Amf0Value {
  enum class Kind { kNumber, kBoolean, kString, kObject, kNull, kOther } kind = Kind::kOther;
  double number = 0;
  std::string string;
  std::map<std::string, std::string> properties;  // string-valued properties of an object
};

// Reads top-level values until the end of `data`. Returns nullopt when the bytes are malformed or
// truncated; every read is bounds-checked because the bytes come from the server under test.
std::optional<std::vector<Amf0Value>> ReadAmf0(const uint8_t *data, size_t len);

}  // namespace bench
