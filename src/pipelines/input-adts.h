// Duration of ADTS AAC files. aacparse cannot tell the duration of a raw .aac file (no bitrate
// in the headers), so the file input walks the ADTS frame headers once and answers duration
// queries itself.
#pragma once

#include <gst/gst.h>

#include <string>

namespace estuary {

// Walks ADTS frames fed in order, chunk by chunk (chunks may split headers and frames).
// A leading ID3v2 tag is skipped; counting stops at the first bytes that are not an ADTS frame.
class AdtsDurationScanner {
 public:
  // Feeds the next `size` bytes. Returns false once counting has stopped (no need to feed more).
  bool feed(const guint8 *data, size_t size);
  // Samples counted so far divided by the sample rate; GST_CLOCK_TIME_NONE before any frame.
  GstClockTime duration() const;
  guint64 frames() const { return frames_; }

 private:
  bool stopped_ = false;
  bool started_ = false;  // past the optional ID3 tag
  std::string header_;    // bytes of a header or ID3 tag split across feeds
  guint64 skip_ = 0;      // bytes left of the current frame or tag
  guint64 frames_ = 0;
  guint64 samples_ = 0;
  guint rate_ = 0;
};

// Scans the ADTS file at `path` with AdtsDurationScanner; GST_CLOCK_TIME_NONE if unreadable or
// not ADTS.
GstClockTime adts_file_duration(const std::string &path);

}  // namespace estuary
