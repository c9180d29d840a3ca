// AMF0 values with encoder and decoder; AMF3 primitives after the 0x11 switch marker decode into
// the same value type (clients only put those inside AMF0 commands and metadata).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace estuary::rtmp {

// AMF0 type markers.
enum Amf0Marker : uint8_t {
  kAmf0Number = 0x00,
  kAmf0Boolean = 0x01,
  kAmf0String = 0x02,
  kAmf0Object = 0x03,
  kAmf0MovieClip = 0x04,
  kAmf0Null = 0x05,
  kAmf0Undefined = 0x06,
  kAmf0Reference = 0x07,
  kAmf0EcmaArray = 0x08,
  kAmf0ObjectEnd = 0x09,
  kAmf0StrictArray = 0x0A,
  kAmf0Date = 0x0B,
  kAmf0LongString = 0x0C,
  kAmf0Unsupported = 0x0D,
  kAmf0XmlDocument = 0x0F,
  kAmf0TypedObject = 0x10,
  kAmf0SwitchToAmf3 = 0x11,
};

// Deepest nesting of objects/arrays the decoder accepts; hostile input beyond it is rejected
// instead of recursing.
constexpr int kAmfMaxDepth = 32;

class AmfValue {
 public:
  enum class Type {
    kNumber,
    kBoolean,
    kString,
    kObject,
    kNull,
    kUndefined,
    kEcmaArray,
    kStrictArray,
    kDate
  };
  using Property = std::pair<std::string, AmfValue>;

  AmfValue() = default;  // undefined
  static AmfValue number(double v);
  static AmfValue boolean(bool v);
  static AmfValue string(std::string v);
  static AmfValue null();
  static AmfValue undefined() { return AmfValue(); }
  static AmfValue object(std::vector<Property> props = {});
  static AmfValue ecma_array(std::vector<Property> props = {});
  static AmfValue strict_array(std::vector<AmfValue> items = {});
  static AmfValue date(double ms_since_epoch, int16_t tz_minutes = 0);

  Type type() const { return type_; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_boolean() const { return type_ == Type::kBoolean; }
  // Object and ECMA array both hold named properties.
  bool has_properties() const { return type_ == Type::kObject || type_ == Type::kEcmaArray; }

  double as_number(double fallback = 0) const {
    return is_number() || type_ == Type::kDate ? number_ : fallback;
  }
  bool as_boolean(bool fallback = false) const { return is_boolean() ? boolean_ : fallback; }
  // Empty when not a string.
  const std::string &as_string() const;
  int16_t date_timezone() const { return tz_; }

  const std::vector<Property> &properties() const { return props_; }
  const std::vector<AmfValue> &items() const { return items_; }
  // First property named `key`, or nullptr (also when this value has no properties).
  const AmfValue *get(std::string_view key) const;
  // Convenience lookups for command objects; fallback when absent or of another type.
  std::string get_string(std::string_view key, std::string fallback = {}) const;
  double get_number(std::string_view key, double fallback = 0) const;
  // Appends a property (object/ECMA array only); returns *this for chaining.
  AmfValue &set(std::string key, AmfValue value);
  AmfValue &push(AmfValue item);

  bool operator==(const AmfValue &o) const;
  bool operator!=(const AmfValue &o) const { return !(*this == o); }

 private:
  Type type_ = Type::kUndefined;
  double number_ = 0;
  bool boolean_ = false;
  int16_t tz_ = 0;
  std::string string_;
  std::vector<Property> props_;
  std::vector<AmfValue> items_;
};

// Appends the AMF0 encoding of `v`. Strings longer than 65535 bytes become long strings.
void amf0_encode(const AmfValue &v, std::vector<uint8_t> *out);
// Appends a bare AMF0 string value (marker + u16 length + bytes).
void amf0_encode_string(std::string_view s, std::vector<uint8_t> *out);

// Decodes one value at data[*pos], advancing *pos. Returns nullopt on truncated or malformed
// input, unsupported markers or nesting deeper than kAmfMaxDepth; *pos is then unspecified.
std::optional<AmfValue> amf0_decode(const uint8_t *data, size_t len, size_t *pos);
// Decodes values until the end of the buffer; nullopt when any of them fails.
std::optional<std::vector<AmfValue>> amf0_decode_all(const uint8_t *data, size_t len);

}  // namespace estuary::rtmp
