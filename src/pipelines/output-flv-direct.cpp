#include "pipelines/output-flv-direct.h"

#include "common/gref.h"
#include "protocols/rtmp/flv-tag.h"

namespace estuary {

namespace {

bool codec_bytes(const GstStructure *s, std::vector<uint8_t> *out) {
  const GValue *v = gst_structure_get_value(s, "codec_data");
  if (!v || !GST_VALUE_HOLDS_BUFFER(v)) return false;
  BufferMap map(gst_value_get_buffer(v), GST_MAP_READ);
  if (!map.ok() || map.size() == 0) return false;
  out->assign(map.data(), map.data() + map.size());
  return true;
}

}  // namespace

std::unique_ptr<FlvDirectMux> FlvDirectMux::create(
    const std::vector<std::pair<uint32_t, GstCaps *>> &tracks) {
  if (tracks.empty() || g_strcmp0(g_getenv("ESTUARY_FLV_MUXER"), "flvmux") == 0) return nullptr;
  std::unique_ptr<FlvDirectMux> self(new FlvDirectMux());
  for (const auto &[id, caps] : tracks) {
    if (!caps || gst_caps_get_size(caps) != 1) return nullptr;
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    const char *format = gst_structure_get_string(s, "stream-format");
    const char *alignment = gst_structure_get_string(s, "alignment");
    int mpegversion = 0;
    if (gst_structure_has_name(s, "video/x-h264") && !self->has_video_ &&
        g_strcmp0(format, "avc") == 0 && (!alignment || g_strcmp0(alignment, "au") == 0) &&
        codec_bytes(s, &self->avcc_)) {
      self->has_video_ = true;
      self->video_id_ = id;
    } else if (gst_structure_has_name(s, "audio/mpeg") && !self->has_audio_ &&
               gst_structure_get_int(s, "mpegversion", &mpegversion) &&
               (mpegversion == 2 || mpegversion == 4) && g_strcmp0(format, "raw") == 0 &&
               codec_bytes(s, &self->asc_)) {
      self->has_audio_ = true;
      self->audio_id_ = id;
      int channels = 2;
      gst_structure_get_int(s, "channels", &channels);
      if (channels == 1) self->audio_flags_ = 0xae;  // mono
    } else {
      return nullptr;
    }
  }
  return self;
}

void FlvDirectMux::append_video_header(uint32_t ms, std::vector<uint8_t> *out) const {
  std::vector<uint8_t> body = {0x17, 0x00, 0, 0, 0};  // keyframe AVC, sequence header
  body.insert(body.end(), avcc_.begin(), avcc_.end());
  rtmp::flv_append_tag(rtmp::kFlvVideo, ms, body.data(), body.size(), out);
}

void FlvDirectMux::append_audio_header(uint32_t ms, std::vector<uint8_t> *out) const {
  std::vector<uint8_t> body = {audio_flags_, 0x00};  // AAC sequence header
  body.insert(body.end(), asc_.begin(), asc_.end());
  rtmp::flv_append_tag(rtmp::kFlvAudio, ms, body.data(), body.size(), out);
}

bool FlvDirectMux::update_track(uint32_t track_id, GstCaps *caps) {
  const bool video = has_video_ && track_id == video_id_;
  if (!video && !(has_audio_ && track_id == audio_id_)) return false;
  if (!caps || gst_caps_get_size(caps) != 1) return false;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *format = gst_structure_get_string(s, "stream-format");
  std::vector<uint8_t> config;
  if (!codec_bytes(s, &config)) return false;
  if (video) {
    if (!gst_structure_has_name(s, "video/x-h264") || g_strcmp0(format, "avc") != 0) return false;
    if (config != avcc_) pending_video_header_ = true;
    avcc_ = std::move(config);
    return true;
  }
  if (!gst_structure_has_name(s, "audio/mpeg") || g_strcmp0(format, "raw") != 0) return false;
  int channels = 2;
  gst_structure_get_int(s, "channels", &channels);
  const uint8_t flags = channels == 1 ? 0xae : 0xaf;
  if (config != asc_ || flags != audio_flags_) pending_audio_header_ = true;
  asc_ = std::move(config);
  audio_flags_ = flags;
  return true;
}

GstBuffer *FlvDirectMux::headers() {
  std::vector<uint8_t> out = rtmp::flv_file_header(has_audio_, has_video_);
  if (has_video_) append_video_header(0, &out);
  if (has_audio_) append_audio_header(0, &out);
  GstBuffer *buf = direct_mux_buffer(std::move(out));
  GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_HEADER);
  return buf;
}

GstBuffer *FlvDirectMux::mux(uint32_t track_id, GstBuffer *in) {
  const bool video = has_video_ && track_id == video_id_;
  if (!video && !(has_audio_ && track_id == audio_id_)) return nullptr;
  GstClockTime pts = GST_BUFFER_PTS(in), dts = GST_BUFFER_DTS(in);
  if (!GST_CLOCK_TIME_IS_VALID(dts)) dts = pts;
  if (!GST_CLOCK_TIME_IS_VALID(pts)) pts = dts;
  if (!GST_CLOCK_TIME_IS_VALID(dts)) return nullptr;
  const uint32_t ms = static_cast<uint32_t>(dts / GST_MSECOND);
  const bool key = video && !GST_BUFFER_FLAG_IS_SET(in, GST_BUFFER_FLAG_DELTA_UNIT);
  BufferMap map(in, GST_MAP_READ);
  if (!map.ok()) return nullptr;
  std::vector<uint8_t> body;
  body.reserve(map.size() + 5);
  if (video) {
    // Composition time offset (PTS - DTS), signed 24 bits, in milliseconds.
    const gint64 cts = (static_cast<gint64>(pts) - static_cast<gint64>(dts)) / GST_MSECOND;
    const int32_t c = static_cast<int32_t>(CLAMP(cts, -0x800000, 0x7fffff));
    body = {static_cast<uint8_t>(key ? 0x17 : 0x27), 0x01, static_cast<uint8_t>(c >> 16),
            static_cast<uint8_t>(c >> 8), static_cast<uint8_t>(c)};
  } else {
    body = {audio_flags_, 0x01};
  }
  body.insert(body.end(), map.data(), map.data() + map.size());
  std::vector<uint8_t> out;
  out.reserve(body.size() + rtmp::kFlvTagHeaderSize + 4);
  // A new configuration goes out right before the first unit that needs it.
  if (video && key && pending_video_header_) {
    append_video_header(ms, &out);
    pending_video_header_ = false;
  } else if (!video && pending_audio_header_) {
    append_audio_header(ms, &out);
    pending_audio_header_ = false;
  }
  rtmp::flv_append_tag(video ? rtmp::kFlvVideo : rtmp::kFlvAudio, ms, body.data(), body.size(),
                       &out);
  GstBuffer *buf = direct_mux_buffer(std::move(out));
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DTS(buf) = dts;
  GST_BUFFER_DURATION(buf) = GST_BUFFER_DURATION(in);
  if (!(key || (!video && !has_video_))) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

}  // namespace estuary
