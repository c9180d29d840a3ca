#include "pipelines/input-adts.h"

#include <stdio.h>

#include <memory>

#include "pipelines/input-debug.h"

namespace estuary {
namespace {

constexpr size_t kAdtsHeaderBytes = 7;
constexpr size_t kId3HeaderBytes = 10;
const guint kSampleRates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                22050, 16000, 12000, 11025, 8000,  7350};

}  // namespace

bool AdtsDurationScanner::feed(const guint8 *data, size_t size) {
  size_t pos = 0;
  while (!stopped_ && pos < size) {
    if (skip_ > 0) {
      guint64 n = std::min<guint64>(skip_, size - pos);
      skip_ -= n;
      pos += n;
      continue;
    }
    // Collect a whole header (an ID3 tag header is the longer one) before deciding.
    size_t need = started_ ? kAdtsHeaderBytes : kId3HeaderBytes;
    while (header_.size() < need && pos < size) header_.push_back(static_cast<char>(data[pos++]));
    if (header_.size() < need) break;
    auto h = reinterpret_cast<const guint8 *>(header_.data());
    if (!started_) {
      started_ = true;
      if (h[0] == 'I' && h[1] == 'D' && h[2] == '3') {
        // ID3v2: syncsafe size after the 10-byte header, plus a footer when flagged.
        guint64 tag = (guint64(h[6] & 0x7f) << 21) | (guint64(h[7] & 0x7f) << 14) |
                      (guint64(h[8] & 0x7f) << 7) | guint64(h[9] & 0x7f);
        skip_ = tag + ((h[5] & 0x10) ? 10 : 0);
        header_.clear();
        continue;
      }
      // Not a tag: these bytes start the first frame; re-read them as an ADTS header.
      std::string bytes = std::move(header_);
      header_.clear();
      if (!feed(reinterpret_cast<const guint8 *>(bytes.data()), bytes.size())) return false;
      continue;
    }
    if (h[0] != 0xff || (h[1] & 0xf6) != 0xf0) {  // syncword, layer 0
      stopped_ = true;
      break;
    }
    guint rate_index = (h[2] >> 2) & 0x0f;
    guint frame_bytes = (guint(h[3] & 0x03) << 11) | (guint(h[4]) << 3) | (h[5] >> 5);
    if (rate_index >= G_N_ELEMENTS(kSampleRates) || frame_bytes < kAdtsHeaderBytes) {
      stopped_ = true;
      break;
    }
    rate_ = kSampleRates[rate_index];
    frames_++;
    samples_ += 1024 * ((h[6] & 0x03) + 1);
    skip_ = frame_bytes - kAdtsHeaderBytes;
    header_.clear();
  }
  return !stopped_;
}

GstClockTime AdtsDurationScanner::duration() const {
  if (frames_ == 0 || rate_ == 0) return GST_CLOCK_TIME_NONE;
  return gst_util_uint64_scale(samples_, GST_SECOND, rate_);
}

GstClockTime adts_file_duration(const std::string &path) {
  std::unique_ptr<FILE, int (*)(FILE *)> file(fopen(path.c_str(), "rb"), fclose);
  if (!file) return GST_CLOCK_TIME_NONE;
  AdtsDurationScanner scanner;
  std::unique_ptr<guint8[]> chunk(new guint8[1 << 16]);
  size_t n;
  while ((n = fread(chunk.get(), 1, 1 << 16, file.get())) > 0) {
    if (!scanner.feed(chunk.get(), n)) break;
  }
  GST_DEBUG("%s: %" G_GUINT64_FORMAT " ADTS frames, %" GST_TIME_FORMAT, path.c_str(),
            scanner.frames(), GST_TIME_ARGS(scanner.duration()));
  return scanner.duration();
}

}  // namespace estuary
