// OutputFraming: turns a muxer's raw output into the Fanout conventions, per format.
//
// Muxers disagree on how they mark headers and keyframes (flvmux flags audio tags as keyframes,
// mpegtsmux emits 188-byte buffers and flags keyframe packets as headers, mp4mux flags nothing),
// so this is the one place that knows each muxer's habits. Out of it come:
//   - headers(): the buffers a new viewer needs first (caps streamheader, or ftyp+moov, ...);
//   - buffers where DELTA_UNIT is cleared exactly where a viewer may start playing.
// Header buffers are not repeated in the buffer stream.
//
// Not thread-safe: used from the muxer's streaming thread only.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "common/gref.h"
#include "pipelines/output-formats.h"

namespace estuary {

class OutputFraming {
 public:
  using HeadersFn = std::function<void(const std::vector<GstBuffer *> &)>;
  using BufferFn = std::function<void(GstBuffer *)>;  // transfer none

  OutputFraming(OutputFormat format, bool has_video, HeadersFn on_headers, BufferFn on_buffer);

  void on_caps(GstCaps *caps);     // transfer none
  void on_buffer(GstBuffer *buf);  // transfer none
  void flush();                    // end of stream: emits what is held back

 private:
  void emit(GstBuffer *buf, bool join);
  void emit_headers();
  void on_ts(GstBuffer *buf);
  void on_flv(GstBuffer *buf);
  void on_mp4(GstBuffer *buf);

  OutputFormat format_;
  bool has_video_;
  HeadersFn on_headers_;
  BufferFn on_buffer_;

  std::vector<GRef<GstBuffer>> headers_;
  bool headers_from_caps_ = false;
  bool headers_sent_ = false;

  // TS: packets of one muxed unit, joined into one buffer (fewer, larger buffers per viewer).
  GRef<GstBuffer> ts_group_;
  bool ts_group_join_ = false;

  // MP4: bytes left in the box that the previous buffer started, to find box starts.
  uint64_t mp4_box_left_ = 0;
  bool mp4_seen_moof_ = false;
};

}  // namespace estuary
