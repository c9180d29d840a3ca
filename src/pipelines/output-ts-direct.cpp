#include "pipelines/output-ts-direct.h"

#include "common/gref.h"

namespace estuary {

namespace {

// The codec configuration record in the caps' codec_data, or null.
GstBuffer *codec_data(const GstStructure *s) {
  const GValue *v = gst_structure_get_value(s, "codec_data");
  return v && GST_VALUE_HOLDS_BUFFER(v) ? gst_value_get_buffer(v) : nullptr;
}

// Adds one track to `writer`; -1 when this muxer cannot carry it.
int add_stream(mpegts::TsWriter &writer, GstCaps *caps, bool *video) {
  if (!caps || gst_caps_get_size(caps) != 1) return -1;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *format = gst_structure_get_string(s, "stream-format");
  if (gst_structure_has_name(s, "video/x-h264")) {
    *video = true;
    const char *alignment = gst_structure_get_string(s, "alignment");
    GstBuffer *avcc = codec_data(s);
    if (g_strcmp0(format, "avc") != 0 || (alignment && g_strcmp0(alignment, "au") != 0) || !avcc)
      return -1;
    BufferMap map(avcc, GST_MAP_READ);
    return map.ok() ? writer.add_h264(map.data(), map.size()) : -1;
  }
  int mpegversion = 0;
  if (gst_structure_has_name(s, "audio/mpeg") &&
      gst_structure_get_int(s, "mpegversion", &mpegversion) &&
      (mpegversion == 2 || mpegversion == 4)) {
    *video = false;
    if (g_strcmp0(format, "adts") == 0) return writer.add_aac_adts();
    GstBuffer *asc = codec_data(s);
    if (g_strcmp0(format, "raw") != 0 || !asc) return -1;
    BufferMap map(asc, GST_MAP_READ);
    return map.ok() ? writer.add_aac_raw(map.data(), map.size()) : -1;
  }
  return -1;
}

int64_t to_90khz(GstClockTime t) {
  return static_cast<int64_t>(gst_util_uint64_scale(t, 9, 100000));
}

}  // namespace

bool TsDirectMux::disabled() {
  return g_strcmp0(g_getenv("ESTUARY_TS_MUXER"), "mpegtsmux") == 0;
}

std::unique_ptr<TsDirectMux> TsDirectMux::create(
    const std::vector<std::pair<uint32_t, GstCaps *>> &tracks) {
  if (tracks.empty() || disabled()) return nullptr;
  std::unique_ptr<TsDirectMux> self(new TsDirectMux());
  for (const auto &[id, caps] : tracks) {
    bool video = false;
    const int stream = add_stream(self->writer_, caps, &video);
    if (stream < 0) return nullptr;
    self->streams_.emplace_back(id, stream);
    self->is_video_.push_back(video);
  }
  return self;
}

GstBuffer *TsDirectMux::headers() {
  GstBuffer *buf = direct_mux_buffer(writer_.tables());
  GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_HEADER);
  return buf;
}

int TsDirectMux::stream_of(uint32_t track_id) const {
  for (const auto &[id, s] : streams_)
    if (id == track_id) return s;
  return -1;
}

bool TsDirectMux::update_track(uint32_t track_id, GstCaps *caps) {
  const int stream = stream_of(track_id);
  if (stream < 0 || !caps || gst_caps_get_size(caps) != 1) return false;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *format = gst_structure_get_string(s, "stream-format");
  GstBuffer *config = codec_data(s);
  if (is_video_[stream]) {
    if (!gst_structure_has_name(s, "video/x-h264") || g_strcmp0(format, "avc") != 0 || !config)
      return false;
    BufferMap map(config, GST_MAP_READ);
    return map.ok() && writer_.set_h264_config(stream, map.data(), map.size());
  }
  if (!gst_structure_has_name(s, "audio/mpeg")) return false;
  // ADTS frames carry their own configuration; a switch between ADTS and raw needs a new muxer.
  if (g_strcmp0(format, "adts") == 0) return writer_.is_adts(stream);
  if (g_strcmp0(format, "raw") != 0 || !config) return false;
  BufferMap map(config, GST_MAP_READ);
  return map.ok() && writer_.set_aac_config(stream, map.data(), map.size());
}

GstBuffer *TsDirectMux::mux(uint32_t track_id, GstBuffer *in) {
  const int stream = stream_of(track_id);
  if (stream < 0) return nullptr;
  // Units without a time (rare: a parser that could not tell) take the last one seen.
  GstClockTime pts = GST_BUFFER_PTS(in), dts = GST_BUFFER_DTS(in);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) pts = GST_CLOCK_TIME_IS_VALID(dts) ? dts : last_time_;
  if (!GST_CLOCK_TIME_IS_VALID(dts)) dts = pts;
  last_time_ = dts;
  const bool video = is_video_[stream];
  const bool key = video && !GST_BUFFER_FLAG_IS_SET(in, GST_BUFFER_FLAG_DELTA_UNIT);
  std::vector<uint8_t> out;
  {
    BufferMap map(in, GST_MAP_READ);
    if (!map.ok() || !writer_.write(stream, to_90khz(pts), to_90khz(dts), key, map.data(),
                                    map.size(), &out))
      return nullptr;
  }
  GstBuffer *buf = direct_mux_buffer(std::move(out));
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DTS(buf) = dts;
  GST_BUFFER_DURATION(buf) = GST_BUFFER_DURATION(in);
  if (!key && writer_.has_video()) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

}  // namespace estuary
