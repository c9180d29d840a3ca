// TsWriter: MPEG-TS muxing of H.264 and AAC access units, for HLS segments and HTTP-TS viewers.
//
// One program (PMT PID 0x1000), streams on PIDs 0x100, 0x101... in the order added; PAT and PMT in
// front of the first unit and of every video keyframe (about once a second when there is no
// video), PCR 100 ms ahead of the DTS in the first packet of each PES of the first video track
// (else of the first track).
// H.264 arrives as AVC (length-prefixed NAL units, parameter sets in the avcC record) and leaves as
// Annex B with an access unit delimiter and, at keyframes, SPS/PPS; raw AAC gets an ADTS header
// from its AudioSpecificConfig; ADTS AAC passes as it is. One PES per access unit.
//
// Pure code: no I/O, no GStreamer. Not thread-safe (one writer per muxed output).
//
//   TsWriter w;
//   int v = w.add_h264(avcc, avcc_len);        // -1: an avcC record this writer cannot use
//   int a = w.add_aac_raw(asc, asc_len);       // or add_aac_adts()
//   std::vector<uint8_t> out;
//   w.write(v, pts90, dts90, keyframe, data, size, &out);  // appends 188-byte packets
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace estuary::mpegts {

constexpr size_t kPacketSize = 188;
constexpr uint16_t kPmtPid = 0x1000;
constexpr uint16_t kFirstStreamPid = 0x100;

// MPEG-2 CRC-32 (polynomial 0x04C11DB7, initial value all ones, no reflection) of PSI sections.
uint32_t crc32_mpeg2(const uint8_t *data, size_t size);

class TsWriter {
 public:
  // Each returns the new stream's index, or -1 (with nothing added) when the configuration is
  // malformed or not one this writer handles (then the caller uses another muxer). Streams are
  // added before the first write().
  int add_h264(const uint8_t *avcc, size_t size);
  int add_aac_raw(const uint8_t *asc, size_t size);
  int add_aac_adts();
  // A new configuration for a stream already added (a publisher that came back with other
  // encoder settings): the next keyframe carries the new SPS/PPS, the next AAC frame the new
  // ADTS header. False, changing nothing, when the record is malformed or `stream` is not of
  // that kind (raw AAC only: ADTS carries its own configuration).
  bool set_h264_config(int stream, const uint8_t *avcc, size_t size);
  bool set_aac_config(int stream, const uint8_t *asc, size_t size);

  // Appends the TS packets of one access unit to `out`. Times are in 90 kHz units (33 bits are
  // kept); dts < 0 means "same as pts". Returns false, writing nothing, when the unit is
  // malformed (a NAL length past its end, an AAC frame too large for ADTS).
  bool write(int stream, int64_t pts, int64_t dts, bool keyframe, const uint8_t *data, size_t size,
             std::vector<uint8_t> *out);

  // PAT and PMT as two packets (what a viewer joining between keyframes needs first).
  std::vector<uint8_t> tables();

  bool has_video() const;
  bool is_adts(int stream) const;  // added with add_aac_adts()
  size_t streams() const { return streams_.size(); }

 private:
  enum class Kind { kH264, kAacRaw, kAacAdts };
  struct Stream {
    Kind kind;
    uint16_t pid;
    uint8_t stream_type;
    uint8_t stream_id;
    uint8_t cc = 0;                  // continuity counter
    int nal_length_size = 4;         // H.264
    std::vector<uint8_t> param_sets;  // H.264: SPS and PPS in Annex B
    uint8_t adts[3] = {0, 0, 0};     // raw AAC: profile, frequency index, channels
  };

  static bool parse_avcc(const uint8_t *avcc, size_t size, Stream *s);
  static bool parse_asc(const uint8_t *asc, size_t size, Stream *s);
  void append_tables(std::vector<uint8_t> *out);
  void append_section(uint16_t pid, uint8_t *cc, const std::vector<uint8_t> &section,
                      std::vector<uint8_t> *out);
  void append_pes(Stream &s, const std::vector<uint8_t> &pes, bool pcr, int64_t pcr90,
                  bool random_access, std::vector<uint8_t> *out);
  bool h264_payload(const Stream &s, bool keyframe, const uint8_t *data, size_t size,
                    std::vector<uint8_t> *out) const;
  int pcr_stream() const;

  std::vector<Stream> streams_;
  uint8_t pat_cc_ = 0;
  uint8_t pmt_cc_ = 0;
  bool tables_written_ = false;
  int64_t last_tables_dts_ = 0;
};

}  // namespace estuary::mpegts
