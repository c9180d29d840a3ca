// Helpers shared by the estbuffer GstHarness tests: one harness per track on one element.
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <vector>

#include "common/gref.h"
#include "elements/estbuffer-reader.h"
#include "elements/estbuffer.h"
#include "elements/plugin.h"

namespace test {

// avcC of a 640x360 Main profile stream (one SPS, one PPS); contains 0x00 bytes on purpose.
constexpr const char *kH264Caps =
    "video/x-h264, stream-format=avc, alignment=au, width=640, height=360, framerate=30/1, "
    "codec_data=(buffer)014d401effe10005674d401e9a01000468ee3c80";
constexpr const char *kAacCaps =
    "audio/mpeg, mpegversion=4, stream-format=raw, channels=2, rate=48000, "
    "codec_data=(buffer)1190";

inline GstElement *make_buffer(const char *name = "teststream") {
  g_assert_true(estuary_elements_register());
  GstElement *e = gst_element_factory_make("estbuffer", name);
  g_assert_nonnull(e);
  return e;
}

// A harness feeding a new request pad of `element`, with caps set (stream-start, caps, segment).
inline GstHarness *add_track(GstElement *element, const char *caps) {
  GstHarness *h = gst_harness_new_with_element(element, "sink_%u", nullptr);
  gst_harness_set_src_caps_str(h, caps);
  return h;
}

// A buffer of `size` bytes at `ms` (PTS = DTS + bfr_ms), `key` clear of DELTA_UNIT.
inline GstBuffer *frame(guint64 ms, bool key, guint64 dur_ms = 0, gsize size = 100,
                        guint64 bfr_ms = 0) {
  GstBuffer *b = gst_buffer_new_allocate(nullptr, size, nullptr);
  gst_buffer_memset(b, 0, static_cast<guint8>(ms), size);
  GST_BUFFER_DTS(b) = ms * GST_MSECOND;
  GST_BUFFER_PTS(b) = (ms + bfr_ms) * GST_MSECOND;
  if (dur_ms) GST_BUFFER_DURATION(b) = dur_ms * GST_MSECOND;
  if (!key) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
  return b;
}

// Pushes `seconds` of 30 fps video with a keyframe every `gop` frames starting at `start_ms`
// (frame n at start + n*1000/30, rounded down like a 90 kHz clock would not; fine for ms stats).
inline void push_video(GstHarness *h, guint64 start_ms, guint frames, guint gop = 30,
                       gsize size = 1000) {
  for (guint i = 0; i < frames; i++) {
    const guint64 ms = start_ms + (static_cast<guint64>(i) * 1000) / 30;
    g_assert_cmpint(gst_harness_push(h, frame(ms, i % gop == 0, 0, size)), ==, GST_FLOW_OK);
  }
}

inline void push_audio(GstHarness *h, guint64 start_ms, guint frames, gsize size = 200) {
  // AAC at 48 kHz: 1024 samples = 21.333 ms per frame.
  for (guint i = 0; i < frames; i++) {
    const guint64 ms = start_ms + (static_cast<guint64>(i) * 1024 * 1000) / 48000;
    g_assert_cmpint(gst_harness_push(h, frame(ms, true, 21, size)), ==, GST_FLOW_OK);
  }
}

// Pushes `ms` of interleaved A/V starting at `start_ms` (in arrival order by time, as a demuxer
// would): 30 fps video with a key every second, AAC frames of 21.333 ms.
inline void push_av(GstHarness *hv, GstHarness *ha, guint64 start_ms, guint64 ms) {
  guint v = 0, a = 0;
  for (;;) {
    const guint64 vt = start_ms + (static_cast<guint64>(v) * 1000) / 30;
    const guint64 at = start_ms + (static_cast<guint64>(a) * 1024 * 1000) / 48000;
    if (vt >= start_ms + ms && at >= start_ms + ms) break;
    if (vt <= at && vt < start_ms + ms) {
      g_assert_cmpint(gst_harness_push(hv, frame(vt, v % 30 == 0, 0, 1000)), ==, GST_FLOW_OK);
      v++;
    } else {
      g_assert_cmpint(gst_harness_push(ha, frame(at, true, 21, 200)), ==, GST_FLOW_OK);
      a++;
    }
  }
}

// Reads everything available now.
inline std::vector<estuary::ReadItem> drain(estuary::BufferReader *r) {
  std::vector<estuary::ReadItem> out;
  estuary::ReadItem item;
  while (r->next(&item) == estuary::BufferReader::Status::kItem) out.push_back(item);
  return out;
}

inline const estuary::TrackMeta *find_track(const estuary::StreamMeta &m, guint id) {
  for (const auto &t : m.tracks) {
    if (t.trackid == id) return &t;
  }
  return nullptr;
}

}  // namespace test
