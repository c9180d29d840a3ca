#include "pipelines/input-rtsp.h"

#include <string>

#include "common/gref.h"
#include "pipelines/input-debug.h"
#include "pipelines/input-pads.h"
#include "pipelines/rtp-depay.h"

namespace estuary {
namespace {

// How long rtspsrc buffers RTP to reorder packets; a camera on a LAN needs little.
constexpr guint kJitterLatencyMs = 200;

// Lives as long as the bin (object data); rtspsrc and the depayloaders whose callbacks use it
// are children of the bin.
struct RtspChain {
  GstBin *bin;             // borrowed: owns this struct
  GMutex lock;             // guards the fields below
  int undecided = 0;       // depayloaders whose output caps are not known yet
  bool all_added = false;  // rtspsrc emitted no-more-pads
  bool done = false;       // our no-more-pads emitted

  explicit RtspChain(GstBin *b) : bin(b) { g_mutex_init(&lock); }
  ~RtspChain() { g_mutex_clear(&lock); }
};

void maybe_done(RtspChain *chain) {
  {
    MutexLock guard(&chain->lock);
    if (chain->done || !chain->all_added || chain->undecided > 0) return;
    chain->done = true;
  }
  input_expose_done(chain->bin);
}

// The depayloader's output caps (with codec data from the stream) decide the canonical chain.
GstPadProbeReturn on_depay_caps(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  auto *chain = static_cast<RtspChain *>(data);
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

// From a streaming thread: one pad per RTP stream of the session.
void on_pad_added(GstElement *, GstPad *pad, gpointer data) {
  auto *chain = static_cast<RtspChain *>(data);
  GRef<GstCaps> caps = GRef<GstCaps>::adopt(gst_pad_get_current_caps(pad));
  if (!caps) caps = GRef<GstCaps>::adopt(gst_pad_query_caps(pad, nullptr));
  GstElement *depay = caps ? rtp_depayloader_new(caps.get()) : nullptr;
  if (!depay) {
    GST_WARNING_OBJECT(chain->bin, "no depayloader for %" GST_PTR_FORMAT ", track dropped",
                       caps.get());
    if (caps) input_expose_pad(chain->bin, pad, caps.get());  // discards it
    return;
  }
  gst_bin_add(chain->bin, depay);
  GRef<GstPad> sink = GRef<GstPad>::adopt(gst_element_get_static_pad(depay, "sink"));
  GRef<GstPad> src = GRef<GstPad>::adopt(gst_element_get_static_pad(depay, "src"));
  {
    MutexLock guard(&chain->lock);
    chain->undecided++;
  }
  rtp_fill_timestamps(src.get(), caps.get());
  gst_pad_add_probe(src.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_depay_caps, chain, nullptr);
  gst_element_sync_state_with_parent(depay);
  if (gst_pad_link(pad, sink.get()) != GST_PAD_LINK_OK) {
    GST_WARNING_OBJECT(chain->bin, "cannot link %s:%s to %s", GST_DEBUG_PAD_NAME(pad),
                       GST_ELEMENT_NAME(depay));
    MutexLock guard(&chain->lock);
    chain->undecided--;
  }
}

void on_no_more_pads(GstElement *, gpointer data) {
  auto *chain = static_cast<RtspChain *>(data);
  {
    MutexLock guard(&chain->lock);
    chain->all_added = true;
  }
  maybe_done(chain);
}

}  // namespace

GstElement *input_rtsp_build(const InputDescriptor &input, std::string_view source,
                             std::string_view stream_name, GError **error) {
  GstElement *src = gst_element_factory_make("rtspsrc", nullptr);
  if (!src) {
    g_set_error(error, ESTUARY_INPUT_ERROR, INPUT_ERROR_UNSUPPORTED,
                "GStreamer element 'rtspsrc' is not installed (gstreamer1.0-plugins-good)");
    return nullptr;
  }
  std::string location(source);
  // Never retransmit requests or wait long for a dead camera: the stream pipeline reports the
  // error and the stream is retried on demand.
  g_object_set(src, "location", location.c_str(), "latency", kJitterLatencyMs, "timeout",
               static_cast<guint64>(5 * G_USEC_PER_SEC), "tcp-timeout",
               static_cast<guint64>(10 * G_USEC_PER_SEC), nullptr);
  GRef<GstElement> bin = GRef<GstElement>::adopt(gst_bin_new(nullptr));
  gst_bin_add(GST_BIN(bin.get()), src);
  auto *chain = new RtspChain(GST_BIN(bin.get()));
  g_object_set_data_full(G_OBJECT(bin.get()), "estuary-rtsp-chain", chain,
                         [](gpointer p) { delete static_cast<RtspChain *>(p); });
  g_signal_connect(src, "pad-added", G_CALLBACK(on_pad_added), chain);
  g_signal_connect(src, "no-more-pads", G_CALLBACK(on_no_more_pads), chain);
  GST_INFO("stream %.*s: %s input pulls %s", static_cast<int>(stream_name.size()),
           stream_name.data(), input.name.c_str(), location.c_str());
  GstElement *result = bin.release();
  g_object_force_floating(G_OBJECT(result));
  return result;
}

}  // namespace estuary
