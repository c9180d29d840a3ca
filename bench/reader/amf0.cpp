#include "amf0.h"

#include <cstring>

namespace bench {

namespace {

enum Marker : uint8_t {
  kNumber = 0x00,
  kBoolean = 0x01,
  kString = 0x02,
  kObject = 0x03,
  kNull = 0x05,
  kUndefined = 0x06,
  kEcmaArray = 0x08,
  kObjectEnd = 0x09,
  kStrictArray = 0x0a,
  kDate = 0x0b,
  kLongString = 0x0c,
};

// Nesting limit so that a hostile reply cannot recurse without bound.
constexpr int kMaxDepth = 16;

class Reader {
 public:
  Reader(const uint8_t *data, size_t len) : p_(data), end_(data + len) {}
  bool AtEnd() const { return p_ == end_; }

  bool Value(Amf0Value *out, int depth) {
    if (depth > kMaxDepth || p_ >= end_) return false;
    uint8_t marker = *p_++;
    switch (marker) {
      case kNumber:
        out->kind = Amf0Value::Kind::kNumber;
        return Double(&out->number);
      case kBoolean:
        if (end_ - p_ < 1) return false;
        out->kind = Amf0Value::Kind::kBoolean;
        out->number = *p_++ ? 1 : 0;
        return true;
      case kString:
        out->kind = Amf0Value::Kind::kString;
        return Str(2, &out->string);
      case kLongString:
        out->kind = Amf0Value::Kind::kString;
        return Str(4, &out->string);
      case kNull:
      case kUndefined:
        out->kind = Amf0Value::Kind::kNull;
        return true;
      case kObject:
        out->kind = Amf0Value::Kind::kObject;
        return Properties(out, depth);
      case kEcmaArray:
        if (end_ - p_ < 4) return false;
        p_ += 4;  // the count is only a hint; the end marker is authoritative
        out->kind = Amf0Value::Kind::kObject;
        return Properties(out, depth);
      case kStrictArray: {
        uint32_t count;
        if (!U32(&count)) return false;
        for (uint32_t i = 0; i < count; ++i) {
          Amf0Value skipped;
          if (!Value(&skipped, depth + 1)) return false;
        }
        out->kind = Amf0Value::Kind::kOther;
        return true;
      }
      case kDate:
        if (end_ - p_ < 10) return false;
        p_ += 10;
        out->kind = Amf0Value::Kind::kOther;
        return true;
      default:
        return false;
    }
  }

 private:
  bool Properties(Amf0Value *out, int depth) {
    for (;;) {
      std::string key;
      if (!Str(2, &key)) return false;
      if (key.empty()) {
        if (p_ >= end_ || *p_ != kObjectEnd) return false;
        ++p_;
        return true;
      }
      Amf0Value v;
      if (!Value(&v, depth + 1)) return false;
      if (v.kind == Amf0Value::Kind::kString) out->properties[key] = v.string;
    }
  }
  bool U32(uint32_t *v) {
    if (end_ - p_ < 4) return false;
    *v = (uint32_t(p_[0]) << 24) | (uint32_t(p_[1]) << 16) | (uint32_t(p_[2]) << 8) | p_[3];
    p_ += 4;
    return true;
  }
  bool Double(double *v) {
    if (end_ - p_ < 8) return false;
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | p_[i];
    std::memcpy(v, &bits, sizeof bits);
    p_ += 8;
    return true;
  }
  bool Str(int width, std::string *s) {
    uint32_t n = 0;
    if (width == 2) {
      if (end_ - p_ < 2) return false;
      n = (uint32_t(p_[0]) << 8) | p_[1];
      p_ += 2;
    } else if (!U32(&n)) {
      return false;
    }
    if (uint64_t(end_ - p_) < n) return false;
    s->assign(reinterpret_cast<const char *>(p_), n);
    p_ += n;
    return true;
  }

  const uint8_t *p_;
  const uint8_t *end_;
};

}  // namespace

void Amf0Writer::U16(uint16_t v) {
  out_.push_back(char(v >> 8));
  out_.push_back(char(v & 0xff));
}

void Amf0Writer::Number(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  out_.push_back(char(kNumber));
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(char((bits >> shift) & 0xff));
}

void Amf0Writer::Boolean(bool v) {
  out_.push_back(char(kBoolean));
  out_.push_back(v ? 1 : 0);
}

void Amf0Writer::String(const std::string &v) {
  out_.push_back(char(kString));
  U16(uint16_t(v.size()));
  out_ += v;
}

void Amf0Writer::Null() { out_.push_back(char(kNull)); }

void Amf0Writer::ObjectBegin() { out_.push_back(char(kObject)); }

void Amf0Writer::Key(const std::string &key) {
  U16(uint16_t(key.size()));
  out_ += key;
}

void Amf0Writer::ObjectEnd() {
  U16(0);
  out_.push_back(char(kObjectEnd));
}

std::optional<std::vector<Amf0Value>> ReadAmf0(const uint8_t *data, size_t len) {
  Reader r(data, len);
  std::vector<Amf0Value> values;
  while (!r.AtEnd()) {
    Amf0Value v;
    if (!r.Value(&v, 0)) return std::nullopt;
    values.push_back(std::move(v));
  }
  return values;
}

}  // namespace bench
