#include "protocols/rtmp/amf0.h"

#include <cstring>

#include "protocols/rtmp/byte-io.h"

namespace estuary::rtmp {

AmfValue AmfValue::number(double v) {
  AmfValue a;
  a.type_ = Type::kNumber;
  a.number_ = v;
  return a;
}

AmfValue AmfValue::boolean(bool v) {
  AmfValue a;
  a.type_ = Type::kBoolean;
  a.boolean_ = v;
  return a;
}

AmfValue AmfValue::string(std::string v) {
  AmfValue a;
  a.type_ = Type::kString;
  a.string_ = std::move(v);
  return a;
}

AmfValue AmfValue::null() {
  AmfValue a;
  a.type_ = Type::kNull;
  return a;
}

AmfValue AmfValue::object(std::vector<Property> props) {
  AmfValue a;
  a.type_ = Type::kObject;
  a.props_ = std::move(props);
  return a;
}

AmfValue AmfValue::ecma_array(std::vector<Property> props) {
  AmfValue a = object(std::move(props));
  a.type_ = Type::kEcmaArray;
  return a;
}

AmfValue AmfValue::strict_array(std::vector<AmfValue> items) {
  AmfValue a;
  a.type_ = Type::kStrictArray;
  a.items_ = std::move(items);
  return a;
}

AmfValue AmfValue::date(double ms_since_epoch, int16_t tz_minutes) {
  AmfValue a;
  a.type_ = Type::kDate;
  a.number_ = ms_since_epoch;
  a.tz_ = tz_minutes;
  return a;
}

const std::string &AmfValue::as_string() const {
  static const std::string empty;
  return is_string() ? string_ : empty;
}

const AmfValue *AmfValue::get(std::string_view key) const {
  if (!has_properties()) return nullptr;
  for (const Property &p : props_)
    if (p.first == key) return &p.second;
  return nullptr;
}

std::string AmfValue::get_string(std::string_view key, std::string fallback) const {
  const AmfValue *v = get(key);
  return v && v->is_string() ? v->string_ : fallback;
}

double AmfValue::get_number(std::string_view key, double fallback) const {
  const AmfValue *v = get(key);
  return v && v->is_number() ? v->number_ : fallback;
}

AmfValue &AmfValue::set(std::string key, AmfValue value) {
  if (has_properties()) props_.emplace_back(std::move(key), std::move(value));
  return *this;
}

AmfValue &AmfValue::push(AmfValue item) {
  if (type_ == Type::kStrictArray) items_.push_back(std::move(item));
  return *this;
}

bool AmfValue::operator==(const AmfValue &o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::kNumber:
      return number_ == o.number_;
    case Type::kDate:
      return number_ == o.number_ && tz_ == o.tz_;
    case Type::kBoolean:
      return boolean_ == o.boolean_;
    case Type::kString:
      return string_ == o.string_;
    case Type::kObject:
    case Type::kEcmaArray:
      return props_ == o.props_;
    case Type::kStrictArray:
      return items_ == o.items_;
    case Type::kNull:
    case Type::kUndefined:
      return true;
  }
  return false;
}

// ---- encoding ----

static void put_utf8_short(std::string_view s, std::vector<uint8_t> *out) {
  put_be16(out, static_cast<uint16_t>(s.size()));
  out->insert(out->end(), s.begin(), s.end());
}

void amf0_encode_string(std::string_view s, std::vector<uint8_t> *out) {
  if (s.size() > 0xFFFF) {
    out->push_back(kAmf0LongString);
    put_be32(out, static_cast<uint32_t>(s.size()));
    out->insert(out->end(), s.begin(), s.end());
    return;
  }
  out->push_back(kAmf0String);
  put_utf8_short(s, out);
}

static void encode_properties(const std::vector<AmfValue::Property> &props,
                              std::vector<uint8_t> *out) {
  for (const auto &p : props) {
    // Keys are UTF-8 "short strings"; a longer key cannot be represented, so it is cut.
    put_utf8_short(std::string_view(p.first).substr(0, 0xFFFF), out);
    amf0_encode(p.second, out);
  }
  put_be16(out, 0);
  out->push_back(kAmf0ObjectEnd);
}

void amf0_encode(const AmfValue &v, std::vector<uint8_t> *out) {
  switch (v.type()) {
    case AmfValue::Type::kNumber:
      out->push_back(kAmf0Number);
      put_double(out, v.as_number());
      break;
    case AmfValue::Type::kBoolean:
      out->push_back(kAmf0Boolean);
      out->push_back(v.as_boolean() ? 1 : 0);
      break;
    case AmfValue::Type::kString:
      amf0_encode_string(v.as_string(), out);
      break;
    case AmfValue::Type::kObject:
      out->push_back(kAmf0Object);
      encode_properties(v.properties(), out);
      break;
    case AmfValue::Type::kNull:
      out->push_back(kAmf0Null);
      break;
    case AmfValue::Type::kUndefined:
      out->push_back(kAmf0Undefined);
      break;
    case AmfValue::Type::kEcmaArray:
      out->push_back(kAmf0EcmaArray);
      put_be32(out, static_cast<uint32_t>(v.properties().size()));
      encode_properties(v.properties(), out);
      break;
    case AmfValue::Type::kStrictArray:
      out->push_back(kAmf0StrictArray);
      put_be32(out, static_cast<uint32_t>(v.items().size()));
      for (const AmfValue &item : v.items()) amf0_encode(item, out);
      break;
    case AmfValue::Type::kDate:
      out->push_back(kAmf0Date);
      put_double(out, v.as_number());
      put_be16(out, static_cast<uint16_t>(v.date_timezone()));
      break;
  }
}

// ---- decoding ----

namespace {

class Decoder {
 public:
  explicit Decoder(ByteReader *r) : r_(r) {}

  std::optional<AmfValue> value(int depth) {
    if (depth > kAmfMaxDepth) return std::nullopt;
    uint8_t marker;
    if (!r_->u8(&marker)) return std::nullopt;
    switch (marker) {
      case kAmf0Number: {
        double d;
        if (!r_->f64(&d)) return std::nullopt;
        return AmfValue::number(d);
      }
      case kAmf0Boolean: {
        uint8_t b;
        if (!r_->u8(&b)) return std::nullopt;
        return AmfValue::boolean(b != 0);
      }
      case kAmf0String:
      case kAmf0XmlDocument:  // same layout as a long string, kept as text
      case kAmf0LongString: {
        std::string s;
        if (!(marker == kAmf0String ? short_string(&s) : long_string(&s))) return std::nullopt;
        return AmfValue::string(std::move(s));
      }
      case kAmf0Object: {
        AmfValue obj = AmfValue::object();
        if (!properties(&obj, depth, false)) return std::nullopt;
        return obj;
      }
      case kAmf0TypedObject: {
        std::string class_name;  // dropped: nothing in RTMP commands depends on it
        AmfValue obj = AmfValue::object();
        if (!short_string(&class_name) || !properties(&obj, depth, false)) return std::nullopt;
        return obj;
      }
      case kAmf0Null:
        return AmfValue::null();
      case kAmf0Undefined:
      case kAmf0Unsupported:
        return AmfValue::undefined();
      case kAmf0EcmaArray: {
        uint32_t count_hint;  // advisory only; the end marker terminates the array
        if (!r_->be32(&count_hint)) return std::nullopt;
        AmfValue arr = AmfValue::ecma_array();
        if (!properties(&arr, depth, true)) return std::nullopt;
        return arr;
      }
      case kAmf0StrictArray: {
        uint32_t count;
        // Every element takes at least one byte, so a count beyond the remaining input is a lie.
        if (!r_->be32(&count) || count > r_->remaining()) return std::nullopt;
        AmfValue arr = AmfValue::strict_array();
        for (uint32_t i = 0; i < count; i++) {
          auto item = value(depth + 1);
          if (!item) return std::nullopt;
          arr.push(std::move(*item));
        }
        return arr;
      }
      case kAmf0Date: {
        double ms;
        uint16_t tz;
        if (!r_->f64(&ms) || !r_->be16(&tz)) return std::nullopt;
        return AmfValue::date(ms, static_cast<int16_t>(tz));
      }
      case kAmf0SwitchToAmf3:
        return amf3_value(depth);
      default:  // movieclip, reference, recordset and unknown markers
        return std::nullopt;
    }
  }

 private:
  bool short_string(std::string *s) {
    uint16_t n;
    const uint8_t *p;
    if (!r_->be16(&n) || !r_->bytes(n, &p)) return false;
    s->assign(reinterpret_cast<const char *>(p), n);
    return true;
  }

  bool long_string(std::string *s) {
    uint32_t n;
    const uint8_t *p;
    if (!r_->be32(&n) || !r_->bytes(n, &p)) return false;
    s->assign(reinterpret_cast<const char *>(p), n);
    return true;
  }

  // Reads key/value pairs up to the empty-key + 0x09 end marker. Some encoders end an ECMA array
  // at the end of the buffer without the marker; that is accepted for ECMA arrays only.
  bool properties(AmfValue *obj, int depth, bool lenient_end) {
    for (;;) {
      if (lenient_end && r_->remaining() == 0) return true;
      std::string key;
      if (!short_string(&key)) return false;
      if (key.empty()) {
        uint8_t end;
        if (!r_->peek_u8(&end)) return lenient_end;
        if (end == kAmf0ObjectEnd) {
          r_->skip(1);
          return true;
        }
      }
      auto v = value(depth + 1);
      if (!v) return false;
      obj->set(std::move(key), std::move(*v));
    }
  }

  // AMF3 variable-length 29-bit unsigned integer.
  bool u29(uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      uint8_t b;
      if (!r_->u8(&b)) return false;
      if (i == 3) {
        v = (v << 8) | b;
        break;
      }
      v = (v << 7) | (b & 0x7F);
      if (!(b & 0x80)) break;
    }
    *out = v;
    return true;
  }

  bool amf3_string(std::string *s) {
    uint32_t header;
    if (!u29(&header)) return false;
    if (!(header & 1)) {
      uint32_t index = header >> 1;
      if (index >= amf3_strings_.size()) return false;
      *s = amf3_strings_[index];
      return true;
    }
    uint32_t n = header >> 1;
    const uint8_t *p;
    if (!r_->bytes(n, &p)) return false;
    s->assign(reinterpret_cast<const char *>(p), n);
    if (n > 0) amf3_strings_.push_back(*s);  // the empty string is never referenced
    return true;
  }

  // AMF3 primitives, strings and arrays; AMF3 objects need trait tables no client sends to a
  // server in commands, so they are refused.
  std::optional<AmfValue> amf3_value(int depth) {
    if (depth > kAmfMaxDepth) return std::nullopt;
    uint8_t marker;
    if (!r_->u8(&marker)) return std::nullopt;
    switch (marker) {
      case 0x00:
        return AmfValue::undefined();
      case 0x01:
        return AmfValue::null();
      case 0x02:
        return AmfValue::boolean(false);
      case 0x03:
        return AmfValue::boolean(true);
      case 0x04: {
        uint32_t v;
        if (!u29(&v)) return std::nullopt;
        int32_t sv =
            (v & 0x10000000) ? static_cast<int32_t>(v) - 0x20000000 : static_cast<int32_t>(v);
        return AmfValue::number(sv);
      }
      case 0x05: {
        double d;
        if (!r_->f64(&d)) return std::nullopt;
        return AmfValue::number(d);
      }
      case 0x06:
      case 0x07:    // XML document
      case 0x0B: {  // XML
        std::string s;
        if (!amf3_string(&s)) return std::nullopt;
        return AmfValue::string(std::move(s));
      }
      case 0x08: {
        uint32_t header;
        double ms;
        if (!u29(&header) || !(header & 1) || !r_->f64(&ms)) return std::nullopt;
        return AmfValue::date(ms);
      }
      case 0x09: {
        uint32_t header;
        if (!u29(&header) || !(header & 1)) return std::nullopt;
        uint32_t dense = header >> 1;
        if (dense > r_->remaining()) return std::nullopt;
        std::vector<AmfValue::Property> assoc;
        for (;;) {
          std::string key;
          if (!amf3_string(&key)) return std::nullopt;
          if (key.empty()) break;
          auto v = amf3_value(depth + 1);
          if (!v) return std::nullopt;
          assoc.emplace_back(std::move(key), std::move(*v));
        }
        std::vector<AmfValue> items;
        for (uint32_t i = 0; i < dense; i++) {
          auto v = amf3_value(depth + 1);
          if (!v) return std::nullopt;
          items.push_back(std::move(*v));
        }
        if (assoc.empty()) return AmfValue::strict_array(std::move(items));
        for (size_t i = 0; i < items.size(); i++)
          assoc.emplace_back(std::to_string(i), std::move(items[i]));
        return AmfValue::ecma_array(std::move(assoc));
      }
      default:
        return std::nullopt;
    }
  }

  ByteReader *r_;
  std::vector<std::string> amf3_strings_;
};

}  // namespace

std::optional<AmfValue> amf0_decode(const uint8_t *data, size_t len, size_t *pos) {
  if (*pos > len) return std::nullopt;
  ByteReader r(data + *pos, len - *pos);
  Decoder d(&r);
  auto v = d.value(0);
  *pos += r.position();
  return v;
}

std::optional<std::vector<AmfValue>> amf0_decode_all(const uint8_t *data, size_t len) {
  ByteReader r(data, len);
  Decoder d(&r);  // one decoder, so AMF3 string references span the whole message
  std::vector<AmfValue> values;
  while (r.remaining() > 0) {
    auto v = d.value(0);
    if (!v) return std::nullopt;
    values.push_back(std::move(*v));
  }
  return values;
}

}  // namespace estuary::rtmp
