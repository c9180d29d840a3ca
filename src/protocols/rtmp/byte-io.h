// Bounds-checked big-endian reads and appending writes shared by the RTMP/AMF/FLV code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace estuary::rtmp {

// Reads from a borrowed buffer; every accessor returns false (and leaves the position alone)
// when fewer bytes remain than it needs.
class ByteReader {
 public:
  ByteReader(const uint8_t *data, size_t len) : data_(data), len_(len) {}

  size_t remaining() const { return len_ - pos_; }
  size_t position() const { return pos_; }
  const uint8_t *current() const { return data_ + pos_; }

  bool skip(size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  bool bytes(size_t n, const uint8_t **out) {
    if (n > remaining()) return false;
    *out = data_ + pos_;
    pos_ += n;
    return true;
  }
  bool peek_u8(uint8_t *v) const {
    if (remaining() < 1) return false;
    *v = data_[pos_];
    return true;
  }
  bool u8(uint8_t *v) {
    if (!peek_u8(v)) return false;
    pos_ += 1;
    return true;
  }
  bool be16(uint16_t *v) { return uint_be(2, v); }
  bool be24(uint32_t *v) { return uint_be(3, v); }
  bool be32(uint32_t *v) { return uint_be(4, v); }
  bool le32(uint32_t *v) {
    if (remaining() < 4) return false;
    *v = data_[pos_] | (data_[pos_ + 1] << 8) | (data_[pos_ + 2] << 16) |
         (static_cast<uint32_t>(data_[pos_ + 3]) << 24);
    pos_ += 4;
    return true;
  }
  bool f64(double *v) {
    uint64_t bits;
    if (!uint_be(8, &bits)) return false;
    std::memcpy(v, &bits, sizeof bits);
    return true;
  }

 private:
  template <typename T>
  bool uint_be(size_t n, T *v) {
    if (remaining() < n) return false;
    T x = 0;
    for (size_t i = 0; i < n; i++) x = static_cast<T>((x << 8) | data_[pos_ + i]);
    *v = x;
    pos_ += n;
    return true;
  }

  const uint8_t *data_;
  size_t len_;
  size_t pos_ = 0;
};

inline void put_be16(std::vector<uint8_t> *out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}
inline void put_be24(std::vector<uint8_t> *out, uint32_t v) {
  out->push_back(static_cast<uint8_t>(v >> 16));
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}
inline void put_be32(std::vector<uint8_t> *out, uint32_t v) {
  put_be16(out, static_cast<uint16_t>(v >> 16));
  put_be16(out, static_cast<uint16_t>(v));
}
inline void put_le32(std::vector<uint8_t> *out, uint32_t v) {
  for (int i = 0; i < 4; i++) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_double(std::vector<uint8_t> *out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  put_be32(out, static_cast<uint32_t>(bits >> 32));
  put_be32(out, static_cast<uint32_t>(bits));
}

}  // namespace estuary::rtmp
