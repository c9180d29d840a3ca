// TsWriter: byte-exact PAT/PMT, PES packetisation (AVC -> Annex B with AUD and parameter sets at
// keyframes, raw AAC -> ADTS), continuity counters, PCR and stuffing, refusals of bad input.
#include <glib.h>

#include <map>
#include <vector>

#include "protocols/mpegts/ts-writer.h"

using estuary::mpegts::TsWriter;
using Bytes = std::vector<uint8_t>;

namespace {

// avcC with one SPS {67 42 00 1e} and one PPS {68 ce 3c 80}, 4-byte NAL lengths.
const Bytes kAvcc = {1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0, 0x1e,
                     1, 0,    4, 0x68, 0xce, 0x3c, 0x80};
// AAC LC, 48 kHz (index 3), stereo.
const Bytes kAsc = {0x11, 0x90};

struct Parsed {
  std::map<int, Bytes> payload;      // PID -> concatenated PES bytes (or PSI)
  std::map<int, int> packets;        // PID -> packet count
  std::vector<int64_t> pcrs;         // PCR bases, in order
  std::vector<int> pusi_pids;        // PIDs of packets that start a unit, in order
};

Parsed parse(const Bytes &ts) {
  Parsed p;
  std::map<int, int> cc;
  g_assert_cmpuint(ts.size() % 188, ==, 0);
  for (size_t off = 0; off < ts.size(); off += 188) {
    const uint8_t *k = ts.data() + off;
    g_assert_cmpuint(k[0], ==, 0x47);
    const int pid = ((k[1] & 0x1f) << 8) | k[2];
    const bool pusi = k[1] & 0x40;
    const int afc = (k[3] >> 4) & 3;
    const int counter = k[3] & 0xf;
    if (cc.count(pid)) g_assert_cmpint(counter, ==, (cc[pid] + 1) & 0xf);
    cc[pid] = counter;
    size_t pos = 4;
    if (afc & 2) {
      const int len = k[4];
      if (len > 0 && (k[5] & 0x10)) {
        int64_t base = (int64_t{k[6]} << 25) | (k[7] << 17) | (k[8] << 9) | (k[9] << 1) | (k[10] >> 7);
        p.pcrs.push_back(base);
      }
      // Stuffing after the flags and PCR is all 0xff.
      const int used = len == 0 ? 0 : 1 + ((k[5] & 0x10) ? 6 : 0);
      for (int i = used + 1; i <= len; i++) g_assert_cmpuint(k[4 + i], ==, 0xff);
      pos += 1 + len;
    }
    g_assert_cmpuint(pos, <=, 188);
    if (pusi) p.pusi_pids.push_back(pid);
    p.packets[pid]++;
    p.payload[pid].insert(p.payload[pid].end(), k + pos, k + 188);
  }
  return p;
}

int64_t read_ts(const uint8_t *b) {
  return (int64_t{(b[0] >> 1) & 7} << 30) | (b[1] << 22) | ((b[2] >> 1) << 15) | (b[3] << 7) |
         (b[4] >> 1);
}

void test_crc() {
  // ffmpeg's PAT (program 1 -> PMT PID 0x1000) with its well-known CRC 2a b1 04 b2.
  const uint8_t pat[] = {0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x00};
  g_assert_cmphex(estuary::mpegts::crc32_mpeg2(pat, sizeof pat), ==, 0x2ab104b2);
}

void test_tables() {
  TsWriter w;
  g_assert_cmpint(w.add_h264(kAvcc.data(), kAvcc.size()), ==, 0);
  g_assert_cmpint(w.add_aac_raw(kAsc.data(), kAsc.size()), ==, 1);
  Bytes t = w.tables();
  g_assert_cmpuint(t.size(), ==, 376);
  const Bytes pat = {0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1,
                     0x00, 0x00, 0x00, 0x01, 0xf0, 0x00, 0x2a, 0xb1, 0x04, 0xb2, 0xff};
  g_assert_true(std::equal(pat.begin(), pat.end(), t.begin()));
  // PMT: PCR on the video PID 0x100; H.264 (0x1b) on 0x100, ADTS AAC (0x0f) on 0x101.
  const Bytes pmt = {0x47, 0x50, 0x00, 0x10, 0x00, 0x02, 0xb0, 0x17, 0x00, 0x01, 0xc1, 0x00,
                     0x00, 0xe1, 0x00, 0xf0, 0x00, 0x1b, 0xe1, 0x00, 0xf0, 0x00, 0x0f, 0xe1,
                     0x01, 0xf0, 0x00};
  g_assert_true(std::equal(pmt.begin(), pmt.end(), t.begin() + 188));
  const uint32_t crc = estuary::mpegts::crc32_mpeg2(t.data() + 188 + 5, 0x17 + 3 - 4);
  const uint8_t *c = t.data() + 188 + 5 + 0x17 + 3 - 4;
  g_assert_cmphex((uint32_t{c[0]} << 24) | (c[1] << 16) | (c[2] << 8) | c[3], ==, crc);
  g_assert_cmpuint(t[188 + 5 + 0x17 + 3], ==, 0xff);  // stuffing after the section
}

void test_video_keyframe() {
  TsWriter w;
  w.add_h264(kAvcc.data(), kAvcc.size());
  // One AU: an IDR slice of 300 bytes (4-byte length prefix).
  Bytes au = {0, 0, 1, 0x2c, 0x65};
  for (int i = 0; i < 299; i++) au.push_back(static_cast<uint8_t>(i));
  Bytes out;
  g_assert_true(w.write(0, 180000 + 3000, 180000, true, au.data(), au.size(), &out));
  Parsed p = parse(out);
  g_assert_cmpint(p.packets[0], ==, 1);
  g_assert_cmpint(p.packets[0x1000], ==, 1);
  const Bytes &pes = p.payload[0x100];
  g_assert_cmpuint(pes[0], ==, 0);
  g_assert_cmpuint(pes[2], ==, 1);
  g_assert_cmpuint(pes[3], ==, 0xe0);
  g_assert_cmpuint(pes[7], ==, 0xc0);  // PTS and DTS
  g_assert_cmpuint(pes[8], ==, 10);
  g_assert_cmpint(read_ts(&pes[9]), ==, 183000);
  g_assert_cmpint(read_ts(&pes[14]), ==, 180000);
  const size_t body = 19;
  // AUD, SPS, PPS, then the slice, all with 4-byte start codes.
  const Bytes expect = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x42, 0, 0x1e,
                        0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65};
  g_assert_true(std::equal(expect.begin(), expect.end(), pes.begin() + body));
  const size_t pes_len = (pes[4] << 8) | pes[5];
  g_assert_cmpuint(pes_len, ==, 3 + 10 + expect.size() + 299);
  g_assert_cmpuint(p.pcrs.size(), ==, 1);
  g_assert_cmpint(p.pcrs[0], ==, 180000 - 9000);
  // First video packet: random access indicator with the PCR.
  g_assert_cmpuint(out[2 * 188 + 5] & 0x50, ==, 0x50);
  // The bytes after the PES in the last packet's payload: none (stuffing goes in the adaptation
  // field), so the payload is exactly the PES.
  g_assert_cmpuint(pes.size(), ==, 6 + pes_len);
}

void test_delta_frame_and_cc() {
  TsWriter w;
  w.add_h264(kAvcc.data(), kAvcc.size());
  Bytes au = {0, 0, 0, 2, 0x41, 0x9a};
  Bytes out;
  g_assert_true(w.write(0, 0, -1, true, au.data(), au.size(), &out));
  out.clear();
  for (int i = 1; i <= 20; i++)
    g_assert_true(w.write(0, 3000 * i, -1, false, au.data(), au.size(), &out));
  Parsed p = parse(out);  // asserts continuity across the 20 units
  g_assert_cmpint(p.packets.count(0), ==, 0);  // no tables between keyframes
  g_assert_cmpint(p.packets[0x100], ==, 20);
  // A delta unit has no parameter sets: PES header (14) + AUD (6) + slice (4 + 2).
  g_assert_cmpuint(p.payload[0x100].size(), ==, 20u * 26);
}

void test_aac() {
  TsWriter w;
  g_assert_cmpint(w.add_aac_raw(kAsc.data(), kAsc.size()), ==, 0);
  const Bytes frame(100, 0x21);
  Bytes out;
  g_assert_true(w.write(0, 90000, -1, false, frame.data(), frame.size(), &out));
  Parsed p = parse(out);
  g_assert_cmpint(p.packets[0], ==, 1);  // first unit: tables
  const Bytes &pes = p.payload[0x100];
  g_assert_cmpuint(pes[3], ==, 0xc0);
  g_assert_cmpuint(pes[7], ==, 0x80);  // PTS only
  g_assert_cmpuint((pes[4] << 8) | pes[5], ==, 3 + 5 + 7 + 100);
  // ADTS: LC (profile 1), 48 kHz (3), 2 channels, frame length 107.
  const Bytes adts = {0xff, 0xf1, 0x4c, 0x80, 0x0d, 0x7f, 0xfc};
  g_assert_true(std::equal(adts.begin(), adts.end(), pes.begin() + 14));
  g_assert_cmpuint(p.pcrs.size(), ==, 1);  // audio only: PCR on the audio PID
  // No video: tables again about once a second, not before every frame.
  out.clear();
  for (int i = 1; i <= 50; i++) w.write(0, 90000 + 1920 * i, -1, false, frame.data(), 100, &out);
  g_assert_cmpint(parse(out).packets[0], ==, 1);
}

void test_refusals() {
  TsWriter w;
  const Bytes bad_avcc = {1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 40, 0x67};  // SPS length past the end
  g_assert_cmpint(w.add_h264(bad_avcc.data(), bad_avcc.size()), ==, -1);
  const Bytes he_aac = {0x2b, 0x92};  // object type 5 (SBR): ADTS cannot say it
  g_assert_cmpint(w.add_aac_raw(he_aac.data(), he_aac.size()), ==, -1);
  g_assert_cmpuint(w.streams(), ==, 0);
  g_assert_cmpint(w.add_h264(kAvcc.data(), kAvcc.size()), ==, 0);
  const Bytes truncated = {0, 0, 1, 0, 0x65, 1};  // NAL length 256, 2 bytes present
  Bytes out;
  g_assert_false(w.write(0, 0, -1, true, truncated.data(), truncated.size(), &out));
  g_assert_true(out.empty());
  g_assert_false(w.write(3, 0, -1, true, truncated.data(), truncated.size(), &out));
  w.add_aac_adts();
  const Bytes huge(9000, 0);
  TsWriter a;
  a.add_aac_raw(kAsc.data(), kAsc.size());
  g_assert_false(a.write(0, 0, -1, false, huge.data(), huge.size(), &out));
}

void test_large_video_pes() {
  TsWriter w;
  w.add_h264(kAvcc.data(), kAvcc.size());
  Bytes au = {0, 1, 0, 0, 0x65};  // one NAL of 65536 bytes
  au.resize(4 + 65536, 0x11);
  Bytes out;
  g_assert_true(w.write(0, 0, -1, true, au.data(), au.size(), &out));
  Parsed p = parse(out);
  const Bytes &pes = p.payload[0x100];
  g_assert_cmpuint((pes[4] << 8) | pes[5], ==, 0);  // too long to state: left open
  g_assert_cmpuint(pes.size(), ==, 14 + 6 + 16 + 4 + 65536);
}


void test_new_config() {
  TsWriter w;
  g_assert_cmpint(w.add_h264(kAvcc.data(), kAvcc.size()), ==, 0);
  g_assert_cmpint(w.add_aac_raw(kAsc.data(), kAsc.size()), ==, 1);
  // The publisher came back at another resolution (SPS 67 64 00 28, 2-byte NAL lengths) and
  // with mono 44.1 kHz audio.
  const Bytes avcc2 = {1, 0x64, 0, 0x28, 0xfd, 0xe1, 0, 4, 0x67, 0x64, 0, 0x28,
                       1, 0,    4, 0x68, 0xee, 0x3c, 0xb0};
  const Bytes asc2 = {0x12, 0x08};  // AAC LC, 44.1 kHz (index 4), 1 channel
  const Bytes bad = {1, 0x64, 0, 0x28, 0xfd, 0xe1, 0, 40};
  g_assert_false(w.set_h264_config(0, bad.data(), bad.size()));  // kept the old one
  g_assert_false(w.set_h264_config(1, avcc2.data(), avcc2.size()));  // stream 1 is audio
  g_assert_false(w.set_aac_config(0, asc2.data(), asc2.size()));
  g_assert_true(w.set_h264_config(0, avcc2.data(), avcc2.size()));
  g_assert_true(w.set_aac_config(1, asc2.data(), asc2.size()));
  const Bytes au = {0, 2, 0x65, 0x88};  // IDR slice, now with a 2-byte length
  Bytes out;
  g_assert_true(w.write(0, 0, -1, true, au.data(), au.size(), &out));
  const Bytes frame(10, 0x21);
  g_assert_true(w.write(1, 0, -1, false, frame.data(), frame.size(), &out));
  Parsed p = parse(out);
  const Bytes expect = {0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x64, 0, 0x28,
                        0, 0, 0, 1, 0x68, 0xee, 0x3c, 0xb0, 0, 0, 0, 1, 0x65, 0x88};
  const Bytes &video = p.payload[0x100];
  g_assert_cmpuint(video.size(), ==, 14 + expect.size());
  g_assert_true(std::equal(expect.begin(), expect.end(), video.begin() + 14));
  // ADTS: LC, 44.1 kHz (4), 1 channel, frame length 17.
  const Bytes adts = {0xff, 0xf1, 0x50, 0x40, 0x02, 0x3f, 0xfc};
  g_assert_true(std::equal(adts.begin(), adts.end(), p.payload[0x101].begin() + 14));
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/ts-writer/crc", test_crc);
  g_test_add_func("/ts-writer/tables", test_tables);
  g_test_add_func("/ts-writer/video-keyframe", test_video_keyframe);
  g_test_add_func("/ts-writer/delta-frames-continuity", test_delta_frame_and_cc);
  g_test_add_func("/ts-writer/aac", test_aac);
  g_test_add_func("/ts-writer/refusals", test_refusals);
  g_test_add_func("/ts-writer/large-video-pes", test_large_video_pes);
  g_test_add_func("/ts-writer/new-config", test_new_config);
  return g_test_run();
}
