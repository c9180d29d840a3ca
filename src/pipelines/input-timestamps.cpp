#include "pipelines/input-timestamps.h"

#include <algorithm>
#include <memory>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/rtp-depay.h"

namespace estuary {
namespace {

// --- segment folding ------------------------------------------------------------------------

// The segment a demuxer pad last let through. Used from the pad's streaming thread, and for
// FLUSH_STOP from the seeking thread while the streaming thread is stopped by the flush.
struct FoldState {
  bool have = false;
  GstSegment segment;
};

// Same running-time and stream-time mapping apart from where the segment starts.
bool same_timeline(const GstSegment &a, const GstSegment &b) {
  return a.format == b.format && a.rate == b.rate && a.applied_rate == b.applied_rate &&
         a.base == b.base && a.offset == b.offset && a.time == b.time && a.flags == b.flags;
}

GstPadProbeReturn fold_segment(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *state = static_cast<FoldState *>(data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    state->have = false;
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT) return GST_PAD_PROBE_OK;
  const GstSegment *segment = nullptr;
  gst_event_parse_segment(event, &segment);
  if (state->have && same_timeline(state->segment, *segment)) {
    GST_DEBUG_OBJECT(pad,
                     "folding a segment update (start %" GST_TIME_FORMAT " -> %" GST_TIME_FORMAT
                     ") into the current segment",
                     GST_TIME_ARGS(state->segment.start), GST_TIME_ARGS(segment->start));
    return GST_PAD_PROBE_DROP;
  }
  gst_segment_copy_into(segment, &state->segment);
  state->have = true;
  return GST_PAD_PROBE_OK;
}

// --- decode times ---------------------------------------------------------------------------

// Takes back the timestamper's shift. The timestamper moves every timestamp by ~1000 hours and
// its segment with them (running times stay); `shift` is as much of that as can be subtracted
// without a DTS going below 0. Shared by the probes on the timestamper's sink pad and on the
// src pad of the element after it; all run on the one streaming thread, except FLUSH_STOP,
// which arrives while that thread is stopped.
struct Restore {
  GstClockTime first_in = GST_CLOCK_TIME_NONE;  // PTS of the first buffer in since start/flush
  bool known = false;                           // `shift` is decided
  GstClockTime shift = 0;
  GRef<GstEvent> held;  // the segment that came before `shift` was known
  bool injecting = false;
};

GstClockTime minus(GstClockTime t, GstClockTime shift) {
  if (!GST_CLOCK_TIME_IS_VALID(t)) return t;
  return t >= shift ? t - shift : 0;
}

// `segment` for timestamps `shift` smaller, with the same running and stream times.
GstEvent *restored_segment(const GstSegment *segment, GstClockTime shift, guint32 seqnum) {
  GstSegment moved;
  gst_segment_copy_into(segment, &moved);
  if (moved.format == GST_FORMAT_TIME && shift > 0) {
    if (moved.start >= shift) {
      moved.start -= shift;
    } else {
      // Running time = (t - start) + base, stream time = (t - start) + time: what the start
      // cannot give up moves into base and time.
      guint64 rest = shift - moved.start;
      moved.start = 0;
      moved.base += rest;
      moved.time += rest;
    }
    if (GST_CLOCK_TIME_IS_VALID(moved.position)) {
      moved.position = std::max<guint64>(minus(moved.position, shift), moved.start);
    }
    if (GST_CLOCK_TIME_IS_VALID(moved.stop)) moved.stop = minus(moved.stop, shift);
  }
  GstEvent *event = gst_event_new_segment(&moved);
  gst_event_set_seqnum(event, seqnum);
  return event;
}

GstPadProbeReturn note_first_in(GstPad *, GstPadProbeInfo *info, gpointer data) {
  Restore *restore = static_cast<std::shared_ptr<Restore> *>(data)->get();
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    if (!GST_CLOCK_TIME_IS_VALID(restore->first_in)) {
      restore->first_in = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
    }
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_FLUSH_STOP) {
    restore->first_in = GST_CLOCK_TIME_NONE;
  }
  return GST_PAD_PROBE_OK;
}

void decide_shift(GstPad *pad, Restore *restore, GstBuffer *first_out) {
  restore->known = true;
  restore->shift = 0;
  const GstClockTime pts = GST_BUFFER_PTS(first_out), dts = GST_BUFFER_DTS(first_out);
  if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(restore->first_in) &&
      pts > restore->first_in) {
    restore->shift = pts - restore->first_in;
    if (GST_CLOCK_TIME_IS_VALID(dts) && dts < restore->shift) restore->shift = dts;
  }
  GRef<GstEvent> segment = std::move(restore->held);
  if (!segment)
    segment = GRef<GstEvent>::adopt(gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0));
  GST_DEBUG_OBJECT(pad, "taking %" GST_TIME_FORMAT " off the timestamper's output",
                   GST_TIME_ARGS(restore->shift));
  if (!segment) return;
  const GstSegment *s = nullptr;
  gst_event_parse_segment(segment.get(), &s);
  // Sent from this pad so it becomes the sticky segment downstream sees from now on.
  restore->injecting = true;
  gst_pad_push_event(pad, restored_segment(s, restore->shift, gst_event_get_seqnum(segment.get())));
  restore->injecting = false;
}

GstPadProbeReturn restore_times(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  Restore *restore = static_cast<std::shared_ptr<Restore> *>(data)->get();
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!restore->known) decide_shift(pad, restore, buf);
    if (restore->shift == 0) return GST_PAD_PROBE_OK;
    buf = gst_buffer_make_writable(buf);
    GST_BUFFER_PTS(buf) = minus(GST_BUFFER_PTS(buf), restore->shift);
    GST_BUFFER_DTS(buf) = minus(GST_BUFFER_DTS(buf), restore->shift);
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    restore->known = false;
    restore->held.reset();
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT || restore->injecting) return GST_PAD_PROBE_OK;
  if (!restore->known) {
    // Held until the first buffer tells how far back the timestamps go.
    restore->held = GRef<GstEvent>::ref(event);
    return GST_PAD_PROBE_DROP;
  }
  if (restore->shift == 0) return GST_PAD_PROBE_OK;
  const GstSegment *segment = nullptr;
  gst_event_parse_segment(event, &segment);
  GRef<GstEvent> replaced = GRef<GstEvent>::adopt(event);
  GST_PAD_PROBE_INFO_DATA(info) =
      restored_segment(segment, restore->shift, gst_event_get_seqnum(event));
  return GST_PAD_PROBE_OK;
}

// Puts `timestamper` and an identity (whose src pad takes the shift back, after the running-time
// check of rtp_timestamper_keep_running_time) between `parser_src` and its peer. Called from
// the probe of the first buffer on `parser_src`, so nothing flows while the links change; the
// pad pushes its sticky events again to the new peer before the buffer.
void insert_timestamper(GstPad *parser_src, const char *name) {
  GRef<GstPad> peer = GRef<GstPad>::adopt(gst_pad_get_peer(parser_src));
  GRef<GstElement> parser = GRef<GstElement>::adopt(gst_pad_get_parent_element(parser_src));
  GRef<GstObject> parent =
      parser ? GRef<GstObject>::adopt(gst_object_get_parent(GST_OBJECT(parser.get()))) : nullptr;
  if (!peer || !parent || !GST_IS_BIN(parent.get())) return;
  GstBin *bin = GST_BIN(parent.get());
  GRef<GstElement> timestamper = GRef<GstElement>::adopt(gst_element_factory_make(name, nullptr));
  GRef<GstElement> restorer =
      GRef<GstElement>::adopt(gst_element_factory_make("identity", nullptr));
  if (!timestamper || !restorer) {
    GST_WARNING_OBJECT(bin, "no %s installed: %s:%s keeps buffers without decode times", name,
                       GST_DEBUG_PAD_NAME(parser_src));
    return;
  }
  // The bin takes a reference of its own; ours go with this scope.
  gst_bin_add_many(bin, timestamper.get(), restorer.get(), nullptr);
  GRef<GstPad> ts_sink = GRef<GstPad>::adopt(gst_element_get_static_pad(timestamper.get(), "sink"));
  GRef<GstPad> out = GRef<GstPad>::adopt(gst_element_get_static_pad(restorer.get(), "src"));
  gst_pad_unlink(parser_src, peer.get());
  if (!gst_element_link(timestamper.get(), restorer.get()) ||
      gst_pad_link(parser_src, ts_sink.get()) != GST_PAD_LINK_OK ||
      gst_pad_link(out.get(), peer.get()) != GST_PAD_LINK_OK) {
    GST_WARNING_OBJECT(bin, "cannot link %s after %s:%s, decode times stay missing", name,
                       GST_DEBUG_PAD_NAME(parser_src));
    gst_bin_remove_many(bin, timestamper.get(), restorer.get(), nullptr);
    gst_pad_link(parser_src, peer.get());
    return;
  }
  rtp_timestamper_keep_running_time(timestamper.get());
  // Both probes share the state, each holding a reference: the pads may go in either order.
  auto restore = std::make_shared<Restore>();
  auto release = [](gpointer p) { delete static_cast<std::shared_ptr<Restore> *>(p); };
  gst_pad_add_probe(
      ts_sink.get(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_FLUSH),
      note_first_in, new std::shared_ptr<Restore>(restore), release);
  gst_pad_add_probe(
      out.get(),
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                   GST_PAD_PROBE_TYPE_EVENT_FLUSH),
      restore_times, new std::shared_ptr<Restore>(restore), release);
  // Downstream first, so nothing pushes into an element that is not running yet.
  gst_element_sync_state_with_parent(restorer.get());
  gst_element_sync_state_with_parent(timestamper.get());
  GST_INFO_OBJECT(bin, "%s:%s has no decode times: %s rebuilds them",
                  GST_DEBUG_PAD_NAME(parser_src), name);
}

GstPadProbeReturn check_first_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!GST_BUFFER_DTS_IS_VALID(buf) && GST_BUFFER_PTS_IS_VALID(buf)) {
    insert_timestamper(pad, static_cast<const char *>(data));
  }
  return GST_PAD_PROBE_REMOVE;
}

}  // namespace

void input_fold_segment_updates(GstPad *pad) {
  g_return_if_fail(GST_IS_PAD(pad));
  gst_pad_add_probe(pad,
                    static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                                 GST_PAD_PROBE_TYPE_EVENT_FLUSH),
                    fold_segment, new FoldState,
                    [](gpointer p) { delete static_cast<FoldState *>(p); });
}

void input_rebuild_decode_times(GstPad *parser_src, const char *timestamper) {
  g_return_if_fail(GST_IS_PAD(parser_src) && timestamper != nullptr);
  // `timestamper` is a static string (the canonical chain's rule table).
  gst_pad_add_probe(parser_src, GST_PAD_PROBE_TYPE_BUFFER, check_first_buffer,
                    const_cast<char *>(timestamper), nullptr);
}

}  // namespace estuary
