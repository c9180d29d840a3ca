#include "pipelines/output-framing.h"

#include <cstring>

GST_DEBUG_CATEGORY_STATIC(framing_debug);
#define GST_CAT_DEFAULT framing_debug

namespace estuary {

OutputFraming::OutputFraming(OutputFormat format, bool has_video, HeadersFn on_headers,
                             BufferFn on_buffer)
    : format_(format),
      has_video_(has_video),
      on_headers_(std::move(on_headers)),
      on_buffer_(std::move(on_buffer)) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(framing_debug, "estuary-output", 0, "Estuary output branches");
    g_once_init_leave(&once, 1);
  }
}

void OutputFraming::on_caps(GstCaps *caps) {
  if (!caps || gst_caps_is_empty(caps)) return;
  const GValue *sh = gst_structure_get_value(gst_caps_get_structure(caps, 0), "streamheader");
  if (!sh || !GST_VALUE_HOLDS_ARRAY(sh)) return;
  std::vector<GRef<GstBuffer>> headers;
  for (guint i = 0; i < gst_value_array_get_size(sh); i++) {
    const GValue *v = gst_value_array_get_value(sh, i);
    if (GST_VALUE_HOLDS_BUFFER(v)) headers.push_back(GRef<GstBuffer>::ref(gst_value_get_buffer(v)));
  }
  if (headers.empty()) return;
  headers_ = std::move(headers);
  headers_from_caps_ = true;
  emit_headers();
}

void OutputFraming::emit_headers() {
  std::vector<GstBuffer *> raw;
  for (auto &h : headers_) raw.push_back(h.get());
  if (on_headers_) on_headers_(raw);
  headers_sent_ = true;
}

void OutputFraming::emit(GstBuffer *buf, bool join) {
  // Flags live on the buffer object, not its memory, so a writable shell is cheap.
  GRef<GstBuffer> out = GRef<GstBuffer>::adopt(gst_buffer_make_writable(gst_buffer_ref(buf)));
  if (join)
    GST_BUFFER_FLAG_UNSET(out.get(), GST_BUFFER_FLAG_DELTA_UNIT);
  else
    GST_BUFFER_FLAG_SET(out.get(), GST_BUFFER_FLAG_DELTA_UNIT);
  if (on_buffer_) on_buffer_(out.get());
}

void OutputFraming::on_buffer(GstBuffer *buf) {
  const bool header = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER);
  switch (format_) {
    case OutputFormat::kTS:
      on_ts(buf);
      return;
    case OutputFormat::kFLV:
      on_flv(buf);
      return;
    case OutputFormat::kFMP4:
      on_mp4(buf);
      return;
    case OutputFormat::kWebM:
    case OutputFormat::kMKV:
      // matroskamux flags the start of each cluster (made at keyframes) as the only non-delta
      // buffer; its header buffers duplicate the caps streamheader.
      if (header) return;
      emit(buf, !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT));
      return;
    case OutputFormat::kOGG:
      if (header) return;  // in the caps streamheader
      emit(buf, true);     // audio pages: any page after the headers is a start point
      return;
    case OutputFormat::kWAV:
      // wavenc's first buffer is the RIFF header.
      if (!headers_sent_) {
        headers_.push_back(GRef<GstBuffer>::ref(buf));
        emit_headers();
        return;
      }
      emit(buf, true);
      return;
    default:  // elementary streams: every frame is a start point
      emit(buf, true);
      return;
  }
}

void OutputFraming::on_ts(GstBuffer *buf) {
  // mpegtsmux starts each keyframe with a non-delta PAT packet; with no video every unit is a
  // start point. Packets sharing a timestamp belong to one muxed unit and are joined.
  const bool starts_unit = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  const bool same_unit =
      ts_group_ && !starts_unit && GST_BUFFER_PTS(ts_group_.get()) == GST_BUFFER_PTS(buf);
  if (same_unit) {
    ts_group_ = GRef<GstBuffer>::adopt(gst_buffer_append(ts_group_.release(), gst_buffer_ref(buf)));
    return;
  }
  if (ts_group_) emit(ts_group_.get(), ts_group_join_);
  ts_group_ = GRef<GstBuffer>::adopt(gst_buffer_new());
  gst_buffer_copy_into(ts_group_.get(), buf, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  ts_group_ = GRef<GstBuffer>::adopt(gst_buffer_append(ts_group_.release(), gst_buffer_ref(buf)));
  ts_group_join_ = starts_unit || !has_video_;
}

void OutputFraming::on_flv(GstBuffer *buf) {
  if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) return;  // in the caps streamheader
  // FLV tag: type(1) size(3) timestamp(4) stream id(3), then for video frametype(4 bits)|codec.
  guint8 tag[12];
  const gsize n = gst_buffer_extract(buf, 0, tag, sizeof tag);
  bool join = false;
  if (n >= 11) {
    const guint8 type = tag[0] & 0x1f;
    if (type == 9 && n >= 12)
      join = (tag[11] >> 4) == 1;
    else if (type == 8)
      join = !has_video_;
  }
  emit(buf, join);
}

void OutputFraming::on_mp4(GstBuffer *buf) {
  // Walk top-level boxes across buffers: mp4mux writes ftyp, moov, then moof+mdat per fragment,
  // often splitting mdat into a header buffer and one buffer per sample.
  BufferMap map(buf, GST_MAP_READ);
  if (!map.ok()) return;
  const guint8 *d = map.data();
  const uint64_t size = map.size();
  char first_type[5] = "";
  uint64_t off = 0;
  while (off < size) {
    if (mp4_box_left_ == 0) {
      if (size - off < 8) {
        GST_WARNING("MP4 box header split across buffers; framing may be off");
        break;
      }
      uint64_t box = GST_READ_UINT32_BE(d + off);
      if (box == 1 && size - off >= 16) box = GST_READ_UINT64_BE(d + off + 8);
      if (box == 0) box = G_MAXUINT64;  // to the end of the file
      if (box < 8) {
        GST_WARNING("invalid MP4 box size %" G_GUINT64_FORMAT, box);
        break;
      }
      if (off == 0) memcpy(first_type, d + 4, 4);
      mp4_box_left_ = box;
    }
    const uint64_t take = MIN(mp4_box_left_, size - off);
    mp4_box_left_ -= take;
    off += take;
  }
  const bool is_moof = !strcmp(first_type, "moof");
  if (!mp4_seen_moof_ && !is_moof) {  // ftyp, moov and anything before the first fragment
    headers_.push_back(GRef<GstBuffer>::ref(buf));
    return;
  }
  if (is_moof && !mp4_seen_moof_) {
    mp4_seen_moof_ = true;
    emit_headers();
  }
  emit(buf, is_moof);
}

void OutputFraming::flush() {
  if (ts_group_) {
    emit(ts_group_.get(), ts_group_join_);
    ts_group_.reset();
  }
  if (!headers_sent_ && !headers_.empty()) emit_headers();
}

}  // namespace estuary
