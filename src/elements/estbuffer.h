// estbuffer: the per-stream buffer element. A sink with one request pad per track ("sink_%u")
// taking parsed, never decoded, media; it stores the buffers in a BufferRing (estbuffer-ring.h)
// which outputs read through BufferReader (estbuffer-reader.h).
//
// Properties (all may change while running; times in milliseconds):
//   buffer-time   guint64  50000  live DVR window; whole segments older than this are dropped.
//                                 Outputs can ask for more with estbuffer_require_window().
//   cut-time      guint64  0      data before this stream time is dropped (0: off)
//   segment-size  guint64  1900   minimum segment length: keys are concatenated until reached;
//                                 also the spacing of index keys on audio/text-only streams
//   resume        gboolean FALSE  when every pad reached EOS, wait resume-time for a new source
//                                 (fresh pads or data on the old ones) instead of ending
//   resume-time   guint64  20000  how long a stopped source may take to come back
//   live          gboolean TRUE   FALSE (VoD): keep everything, no window
//
// The element posts EOS on the bus when the buffer ends: at once when the source stops without
// resume, else when resume-time passes without new data. It is flagged as a sink, so a
// pipeline's EOS waits for it.
#pragma once

#include <gst/gst.h>

#ifdef __cplusplus
#include <memory>

#include "elements/estbuffer-ring.h"
#endif

G_BEGIN_DECLS

#define EST_TYPE_BUFFER (est_buffer_get_type())
G_DECLARE_FINAL_TYPE(EstBuffer, est_buffer, EST, BUFFER, GstElement)

GST_ELEMENT_REGISTER_DECLARE(estbuffer);

G_END_DECLS

#ifdef __cplusplus
namespace estuary {

// The ring of an estbuffer element (shared; it outlives the element while readers hold it), or
// nullptr when `element` is not an estbuffer. Transfer: a new shared owner. Any thread.
std::shared_ptr<BufferRing> estbuffer_get_ring(GstElement *element);

// Raises the window to at least `ms` (never lowers it). Any thread.
void estbuffer_require_window(GstElement *element, guint64 ms);

}  // namespace estuary
#endif
