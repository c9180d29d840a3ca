#include "pipelines/input-parse.h"

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-pads.h"
#include "pipelines/input-timestamps.h"
#include "pipelines/inputs.h"

namespace estuary {
namespace {

// Lives as long as the bin (object data of parsebin); parsebin and its pads, whose callbacks use
// it, are children of the bin.
struct ParseChain {
  GstBin *bin;             // borrowed: owns parsebin, which owns this struct
  GMutex lock;             // guards the fields below
  int undecided = 0;       // parsebin pads added whose caps are not known yet
  bool all_added = false;  // data flowed: parsebin has added every pad of the group
  bool done = false;       // no-more-pads emitted

  explicit ParseChain(GstBin *b) : bin(b) { g_mutex_init(&lock); }
  ~ParseChain() { g_mutex_clear(&lock); }
};

// Emits no-more-pads once every pad is added and exposed (or discarded).
void maybe_done(ParseChain *chain) {
  {
    MutexLock guard(&chain->lock);
    if (chain->done || !chain->all_added || chain->undecided > 0) return;
    chain->done = true;
  }
  input_expose_done(chain->bin);
}

// parsebin 1.22 adds every pad of a group and only then lets data through, but never emits
// no-more-pads itself: the first data on any of its pads means the set is complete.
GstPadProbeReturn on_first_data(GstPad *, GstPadProbeInfo *, gpointer user_data) {
  auto *chain = static_cast<ParseChain *>(user_data);
  {
    MutexLock guard(&chain->lock);
    chain->all_added = true;
  }
  maybe_done(chain);
  return GST_PAD_PROBE_REMOVE;
}

// Some streams (AAC from TS) are exposed before their parser has fixed caps; the canonical chain
// is chosen when the caps arrive, before they reach anything downstream.
GstPadProbeReturn on_caps(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  auto *chain = static_cast<ParseChain *>(user_data);
  GstCaps *caps = nullptr;
  gst_event_parse_caps(event, &caps);
  input_expose_pad(chain->bin, pad, caps);
  {
    MutexLock guard(&chain->lock);
    chain->undecided--;
  }
  maybe_done(chain);
  return GST_PAD_PROBE_REMOVE;
}

// From a streaming thread.
void on_pad_added(GstElement *parsebin, GstPad *pad, gpointer user_data) {
  auto *chain = static_cast<ParseChain *>(user_data);
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, on_first_data, chain, nullptr);
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (caps && gst_caps_is_fixed(caps.get())) {
    input_expose_pad(chain->bin, pad, caps.get());
    return;
  }
  {
    MutexLock guard(&chain->lock);
    chain->undecided++;
  }
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_caps, chain, nullptr);
}

// matroskademux restarts its segment after the first frames; fold that on each of its pads.
void on_demux_pad(GstElement *, GstPad *pad, gpointer) {
  if (GST_PAD_IS_SRC(pad)) input_fold_segment_updates(pad);
}

// From any thread that adds elements inside parsebin (the demuxer is added before it has pads).
void on_element_added(GstBin *, GstBin *, GstElement *element, gpointer) {
  GstElementFactory *factory = gst_element_get_factory(element);
  if (!factory || g_strcmp0(GST_OBJECT_NAME(factory), "matroskademux") != 0) return;
  g_signal_connect(element, "pad-added", G_CALLBACK(on_demux_pad), nullptr);
}

// In case a parsebin does emit it.
void on_no_more_pads(GstElement *parsebin, gpointer user_data) {
  auto *chain = static_cast<ParseChain *>(user_data);
  {
    MutexLock guard(&chain->lock);
    chain->all_added = true;
  }
  maybe_done(chain);
}

}  // namespace

bool input_parse_attach(GstBin *bin, GstPad *src, GError **error) {
  GstElement *parsebin = gst_element_factory_make("parsebin", nullptr);
  if (!parsebin) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "GStreamer element 'parsebin' is not installed (gstreamer1.0-plugins-base)");
    return false;
  }
  auto *chain = new ParseChain(bin);
  g_object_set_data_full(G_OBJECT(parsebin), "estuary-parse-chain", chain,
                         [](gpointer p) { delete static_cast<ParseChain *>(p); });
  g_signal_connect(parsebin, "pad-added", G_CALLBACK(on_pad_added), chain);
  g_signal_connect(parsebin, "no-more-pads", G_CALLBACK(on_no_more_pads), chain);
  g_signal_connect(parsebin, "deep-element-added", G_CALLBACK(on_element_added), nullptr);
  gst_bin_add(bin, parsebin);
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(parsebin, "sink"));
  GstPadLinkReturn ret = gst_pad_link(src, sink.get());
  if (ret != GST_PAD_LINK_OK) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_INVALID,
                "cannot link %s:%s to parsebin: %s", GST_DEBUG_PAD_NAME(src),
                gst_pad_link_get_name(ret));
    return false;
  }
  return true;
}

}  // namespace estuary
