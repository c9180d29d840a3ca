#include "protocols/mpegts/ts-writer.h"

#include <algorithm>

namespace estuary::mpegts {

namespace {

constexpr size_t kPayloadSize = kPacketSize - 4;
constexpr int64_t kTimeMask = (int64_t{1} << 33) - 1;
constexpr uint8_t kStreamTypeH264 = 0x1b;
constexpr uint8_t kStreamTypeAdts = 0x0f;
constexpr size_t kMaxAdtsFrame = 8191;
constexpr uint8_t kAud[] = {0, 0, 0, 1, 0x09, 0xf0};  // access unit delimiter, any slice type
constexpr uint8_t kStartCode[] = {0, 0, 0, 1};
constexpr int64_t kPcrLead = 9000;               // 100 ms
constexpr int64_t kAudioTablesInterval = 90000;  // 1 s

void put_timestamp(uint8_t prefix, int64_t ts, std::vector<uint8_t> *out) {
  ts &= kTimeMask;
  out->push_back(static_cast<uint8_t>((prefix << 4) | (((ts >> 30) & 7) << 1) | 1));
  out->push_back(static_cast<uint8_t>(ts >> 22));
  out->push_back(static_cast<uint8_t>((((ts >> 15) & 0x7f) << 1) | 1));
  out->push_back(static_cast<uint8_t>(ts >> 7));
  out->push_back(static_cast<uint8_t>(((ts & 0x7f) << 1) | 1));
}

uint32_t read_be(const uint8_t *p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) v = (v << 8) | p[i];
  return v;
}

// Calls fn(nal, nal_size) for each length-prefixed NAL unit; false when a length runs past the end.
template <typename Fn>
bool for_each_nal(const uint8_t *data, size_t size, int length_size, Fn fn) {
  size_t off = 0;
  while (off < size) {
    if (size - off < static_cast<size_t>(length_size)) return false;
    const size_t n = read_be(data + off, length_size);
    off += length_size;
    if (n > size - off) return false;
    if (n > 0) fn(data + off, n);
    off += n;
  }
  return true;
}

}  // namespace

uint32_t crc32_mpeg2(const uint8_t *data, size_t size) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; i++) {
    crc ^= static_cast<uint32_t>(data[i]) << 24;
    for (int b = 0; b < 8; b++) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

bool TsWriter::parse_avcc(const uint8_t *avcc, size_t size, Stream *s) {
  // avcC: version, profile, compatibility, level, 6 bits + length size - 1, 3 bits + SPS count,
  // then (16-bit length, SPS) each, PPS count, (16-bit length, PPS) each.
  if (!avcc || size < 7 || avcc[0] != 1) return false;
  const int nal_length_size = (avcc[4] & 3) + 1;
  if (nal_length_size == 3) return false;
  std::vector<uint8_t> param_sets;
  size_t off = 5;
  for (int list = 0; list < 2; list++) {
    if (off >= size) return false;
    const int count = list == 0 ? (avcc[off] & 0x1f) : avcc[off];
    off++;
    for (int i = 0; i < count; i++) {
      if (size - off < 2) return false;
      const size_t n = read_be(avcc + off, 2);
      off += 2;
      if (n > size - off) return false;
      param_sets.insert(param_sets.end(), kStartCode, kStartCode + sizeof kStartCode);
      param_sets.insert(param_sets.end(), avcc + off, avcc + off + n);
      off += n;
    }
  }
  s->nal_length_size = nal_length_size;
  s->param_sets = std::move(param_sets);
  return true;
}

bool TsWriter::parse_asc(const uint8_t *asc, size_t size, Stream *s) {
  // AudioSpecificConfig: object type (5 bits), frequency index (4), channel configuration (4).
  // ADTS can only say AAC Main/LC/SSR/LTP with a table frequency and a fixed channel layout.
  if (!asc || size < 2) return false;
  const int object = asc[0] >> 3;
  const int freq = ((asc[0] & 7) << 1) | (asc[1] >> 7);
  const int channels = (asc[1] >> 3) & 0xf;
  if (object < 1 || object > 4 || freq > 12 || channels < 1 || channels > 7) return false;
  s->adts[0] = static_cast<uint8_t>(object - 1);
  s->adts[1] = static_cast<uint8_t>(freq);
  s->adts[2] = static_cast<uint8_t>(channels);
  return true;
}

int TsWriter::add_h264(const uint8_t *avcc, size_t size) {
  Stream s{Kind::kH264, 0, kStreamTypeH264, 0};
  if (!parse_avcc(avcc, size, &s)) return -1;
  const int video = static_cast<int>(std::count_if(
      streams_.begin(), streams_.end(), [](const Stream &x) { return x.kind == Kind::kH264; }));
  s.stream_id = static_cast<uint8_t>(0xe0 + video);
  s.pid = static_cast<uint16_t>(kFirstStreamPid + streams_.size());
  streams_.push_back(std::move(s));
  return static_cast<int>(streams_.size()) - 1;
}

int TsWriter::add_aac_raw(const uint8_t *asc, size_t size) {
  Stream parsed{Kind::kAacRaw, 0, kStreamTypeAdts, 0};
  if (!parse_asc(asc, size, &parsed) || add_aac_adts() < 0) return -1;
  Stream &s = streams_.back();
  s.kind = Kind::kAacRaw;
  std::copy(parsed.adts, parsed.adts + 3, s.adts);
  return static_cast<int>(streams_.size()) - 1;
}

bool TsWriter::set_h264_config(int stream, const uint8_t *avcc, size_t size) {
  if (stream < 0 || static_cast<size_t>(stream) >= streams_.size() ||
      streams_[stream].kind != Kind::kH264)
    return false;
  return parse_avcc(avcc, size, &streams_[stream]);
}

bool TsWriter::set_aac_config(int stream, const uint8_t *asc, size_t size) {
  if (stream < 0 || static_cast<size_t>(stream) >= streams_.size() ||
      streams_[stream].kind != Kind::kAacRaw)
    return false;
  return parse_asc(asc, size, &streams_[stream]);
}

int TsWriter::add_aac_adts() {
  const int audio = static_cast<int>(std::count_if(
      streams_.begin(), streams_.end(), [](const Stream &x) { return x.kind != Kind::kH264; }));
  if (audio >= 32) return -1;
  Stream s{Kind::kAacAdts, static_cast<uint16_t>(kFirstStreamPid + streams_.size()),
           kStreamTypeAdts, static_cast<uint8_t>(0xc0 + audio)};
  streams_.push_back(s);
  return static_cast<int>(streams_.size()) - 1;
}

bool TsWriter::has_video() const {
  return std::any_of(streams_.begin(), streams_.end(),
                     [](const Stream &s) { return s.kind == Kind::kH264; });
}

bool TsWriter::is_adts(int stream) const {
  return stream >= 0 && static_cast<size_t>(stream) < streams_.size() &&
         streams_[stream].kind == Kind::kAacAdts;
}

int TsWriter::pcr_stream() const {
  for (size_t i = 0; i < streams_.size(); i++)
    if (streams_[i].kind == Kind::kH264) return static_cast<int>(i);
  return 0;
}

std::vector<uint8_t> TsWriter::tables() {
  std::vector<uint8_t> out;
  append_tables(&out);
  return out;
}

void TsWriter::append_section(uint16_t pid, uint8_t *cc, const std::vector<uint8_t> &section,
                              std::vector<uint8_t> *out) {
  const size_t start = out->size();
  out->resize(start + kPacketSize, 0xff);
  uint8_t *p = out->data() + start;
  p[0] = 0x47;
  p[1] = static_cast<uint8_t>(0x40 | (pid >> 8));  // payload unit start
  p[2] = static_cast<uint8_t>(pid);
  p[3] = static_cast<uint8_t>(0x10 | (*cc & 0xf));
  *cc = (*cc + 1) & 0xf;
  p[4] = 0;  // pointer field
  std::copy(section.begin(), section.end(), p + 5);
}

void TsWriter::append_tables(std::vector<uint8_t> *out) {
  auto finish = [](std::vector<uint8_t> &sec) {
    const size_t len = sec.size() - 3 + 4;  // after the length field, with the CRC
    sec[1] = static_cast<uint8_t>(0xb0 | (len >> 8));
    sec[2] = static_cast<uint8_t>(len);
    const uint32_t crc = crc32_mpeg2(sec.data(), sec.size());
    for (int i = 3; i >= 0; i--) sec.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  };
  std::vector<uint8_t> pat = {0x00, 0, 0, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01,
                              static_cast<uint8_t>(0xe0 | (kPmtPid >> 8)),
                              static_cast<uint8_t>(kPmtPid & 0xff)};
  finish(pat);
  append_section(0, &pat_cc_, pat, out);

  const uint16_t pcr_pid = streams_.empty() ? 0x1fff : streams_[pcr_stream()].pid;
  std::vector<uint8_t> pmt = {0x02, 0, 0, 0x00, 0x01, 0xc1, 0x00, 0x00,
                              static_cast<uint8_t>(0xe0 | (pcr_pid >> 8)),
                              static_cast<uint8_t>(pcr_pid & 0xff), 0xf0, 0x00};
  for (const Stream &s : streams_) {
    pmt.insert(pmt.end(), {s.stream_type, static_cast<uint8_t>(0xe0 | (s.pid >> 8)),
                           static_cast<uint8_t>(s.pid & 0xff), 0xf0, 0x00});
  }
  finish(pmt);
  append_section(kPmtPid, &pmt_cc_, pmt, out);
  tables_written_ = true;
}

void TsWriter::append_pes(Stream &s, const std::vector<uint8_t> &pes, bool pcr, int64_t pcr90,
                          bool random_access, std::vector<uint8_t> *out) {
  size_t off = 0;
  bool first = true;
  out->reserve(out->size() + (pes.size() / kPayloadSize + 2) * kPacketSize);
  while (off < pes.size()) {
    const bool flags = first && (pcr || random_access);
    // Adaptation field bytes this packet needs anyway: length, flags, PCR.
    const size_t af_min = flags ? 2 + (pcr ? 6 : 0) : 0;
    const size_t take = std::min(pes.size() - off, kPayloadSize - af_min);
    const size_t af = kPayloadSize - take;  // whole adaptation field, stuffing included
    const size_t start = out->size();
    out->resize(start + kPacketSize, 0xff);
    uint8_t *p = out->data() + start;
    p[0] = 0x47;
    p[1] = static_cast<uint8_t>((first ? 0x40 : 0) | (s.pid >> 8));
    p[2] = static_cast<uint8_t>(s.pid);
    p[3] = static_cast<uint8_t>((af ? 0x30 : 0x10) | s.cc);
    s.cc = (s.cc + 1) & 0xf;
    uint8_t *q = p + 4;
    if (af) {
      q[0] = static_cast<uint8_t>(af - 1);
      if (af >= 2) {
        q[1] = static_cast<uint8_t>((flags && random_access ? 0x40 : 0) | (flags && pcr ? 0x10 : 0));
        if (flags && pcr) {
          const int64_t base = pcr90 & kTimeMask;
          q[2] = static_cast<uint8_t>(base >> 25);
          q[3] = static_cast<uint8_t>(base >> 17);
          q[4] = static_cast<uint8_t>(base >> 9);
          q[5] = static_cast<uint8_t>(base >> 1);
          q[6] = static_cast<uint8_t>(((base & 1) << 7) | 0x7e);  // 6 reserved bits, extension 0
          q[7] = 0;
        }
      }
      q += af;
    }
    std::copy(pes.data() + off, pes.data() + off + take, q);
    off += take;
    first = false;
  }
}

bool TsWriter::h264_payload(const Stream &s, bool keyframe, const uint8_t *data, size_t size,
                            std::vector<uint8_t> *out) const {
  bool has_aud = false, has_sps = false, first = true, ok = true;
  ok = for_each_nal(data, size, s.nal_length_size, [&](const uint8_t *nal, size_t) {
    const int type = nal[0] & 0x1f;
    if (first && type == 9) has_aud = true;
    if (type == 7) has_sps = true;
    first = false;
  });
  if (!ok) return false;
  if (!has_aud) out->insert(out->end(), kAud, kAud + sizeof kAud);
  if (keyframe && !has_sps) out->insert(out->end(), s.param_sets.begin(), s.param_sets.end());
  out->reserve(out->size() + size + 64);
  for_each_nal(data, size, s.nal_length_size, [&](const uint8_t *nal, size_t n) {
    out->insert(out->end(), kStartCode, kStartCode + sizeof kStartCode);
    out->insert(out->end(), nal, nal + n);
  });
  return true;
}

bool TsWriter::write(int stream, int64_t pts, int64_t dts, bool keyframe, const uint8_t *data,
                     size_t size, std::vector<uint8_t> *out) {
  if (stream < 0 || static_cast<size_t>(stream) >= streams_.size() || (!data && size)) return false;
  Stream &s = streams_[stream];
  if (dts < 0) dts = pts;
  const bool video = s.kind == Kind::kH264;
  const bool both = dts != pts;
  std::vector<uint8_t> pes = {0, 0, 1, s.stream_id, 0, 0, static_cast<uint8_t>(0x84),
                              static_cast<uint8_t>(both ? 0xc0 : 0x80),
                              static_cast<uint8_t>(both ? 10 : 5)};
  put_timestamp(both ? 3 : 2, pts, &pes);
  if (both) put_timestamp(1, dts, &pes);
  const size_t header = pes.size();
  if (video) {
    if (!h264_payload(s, keyframe, data, size, &pes)) return false;
  } else if (s.kind == Kind::kAacRaw) {
    const size_t frame = size + 7;
    if (frame > kMaxAdtsFrame) return false;
    pes.insert(pes.end(),
               {0xff, 0xf1, static_cast<uint8_t>((s.adts[0] << 6) | (s.adts[1] << 2) | (s.adts[2] >> 2)),
                static_cast<uint8_t>(((s.adts[2] & 3) << 6) | (frame >> 11)),
                static_cast<uint8_t>(frame >> 3), static_cast<uint8_t>(((frame & 7) << 5) | 0x1f),
                0xfc});
    pes.insert(pes.end(), data, data + size);
  } else {
    pes.insert(pes.end(), data, data + size);
  }
  // Video may leave the length open (0); audio PES are always small enough to state it.
  const size_t length = pes.size() - 6;
  if (length <= 0xffff && !(video && pes.size() - header > 0xffff)) {
    pes[4] = static_cast<uint8_t>(length >> 8);
    pes[5] = static_cast<uint8_t>(length);
  }
  // Tables where a viewer may start: video keyframes; without video, about once a second (a
  // segment that starts between them gets the tables() in front from its segmenter).
  const bool pcr = stream == pcr_stream();
  const bool audio_only_refresh =
      !has_video() && pcr && ((dts - last_tables_dts_) & kTimeMask) >= kAudioTablesInterval;
  if (!tables_written_ || (video && keyframe) || audio_only_refresh) {
    append_tables(out);
    last_tables_dts_ = dts;
  }
  // The PCR leads the decoding time a little, as a decoder's buffer model expects.
  append_pes(s, pes, pcr, std::max<int64_t>(0, dts - kPcrLead), video && keyframe, out);
  return true;
}

}  // namespace estuary::mpegts
