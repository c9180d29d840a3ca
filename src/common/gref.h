// RAII for GLib/GObject/GStreamer references, so application code never calls a bare *_unref.
//
//   GRef<GstElement> pipe = GRef<GstElement>::adopt(gst_pipeline_new("x"));  // takes ownership
//   GRef<GstPad> pad = GRef<GstPad>::ref(some_borrowed_pad);                  // adds a reference
//
// Floating references (GstElement, GInitiallyUnowned) are sunk by adopt(), so ownership is clear
// at the boundary. Ref/unref functions are picked by GRefTraits<T>; add a specialisation for new
// types next to the ones below.
#pragma once

#include <gio/gio.h>
#include <glib-object.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace estuary {

template <typename T>
struct GRefTraits {
  // Default: any GObject.
  static T *ref(T *p) { return static_cast<T *>(g_object_ref(p)); }
  static void unref(T *p) { g_object_unref(p); }
  static T *sink(T *p) { return static_cast<T *>(g_object_ref_sink(p)); }
  static constexpr bool can_float = true;
};

#define ESTUARY_MINIOBJECT_TRAITS(Type, refFn, unrefFn)     \
  template <>                                               \
  struct GRefTraits<Type> {                                 \
    static Type *ref(Type *p) { return refFn(p); }          \
    static void unref(Type *p) { unrefFn(p); }              \
    static Type *sink(Type *p) { return p; }                \
    static constexpr bool can_float = false;                \
  };

ESTUARY_MINIOBJECT_TRAITS(GstBuffer, gst_buffer_ref, gst_buffer_unref)
ESTUARY_MINIOBJECT_TRAITS(GstBufferList, gst_buffer_list_ref, gst_buffer_list_unref)
ESTUARY_MINIOBJECT_TRAITS(GstCaps, gst_caps_ref, gst_caps_unref)
ESTUARY_MINIOBJECT_TRAITS(GstEvent, gst_event_ref, gst_event_unref)
ESTUARY_MINIOBJECT_TRAITS(GstSample, gst_sample_ref, gst_sample_unref)
ESTUARY_MINIOBJECT_TRAITS(GstMessage, gst_message_ref, gst_message_unref)
ESTUARY_MINIOBJECT_TRAITS(GstQuery, gst_query_ref, gst_query_unref)
ESTUARY_MINIOBJECT_TRAITS(GBytes, g_bytes_ref, g_bytes_unref)
ESTUARY_MINIOBJECT_TRAITS(GMainContext, g_main_context_ref, g_main_context_unref)
ESTUARY_MINIOBJECT_TRAITS(GMainLoop, g_main_loop_ref, g_main_loop_unref)
ESTUARY_MINIOBJECT_TRAITS(GSource, g_source_ref, g_source_unref)
ESTUARY_MINIOBJECT_TRAITS(JsonNode, json_node_ref, json_node_unref)
ESTUARY_MINIOBJECT_TRAITS(JsonObject, json_object_ref, json_object_unref)
ESTUARY_MINIOBJECT_TRAITS(JsonArray, json_array_ref, json_array_unref)
ESTUARY_MINIOBJECT_TRAITS(GHashTable, g_hash_table_ref, g_hash_table_unref)
ESTUARY_MINIOBJECT_TRAITS(GVariant, g_variant_ref, g_variant_unref)
ESTUARY_MINIOBJECT_TRAITS(GDateTime, g_date_time_ref, g_date_time_unref)
#undef ESTUARY_MINIOBJECT_TRAITS

template <typename T>
class GRef {
 public:
  GRef() = default;
  GRef(std::nullptr_t) {}
  ~GRef() { reset(); }

  // Takes over a reference the caller owns ("transfer full"); sinks a floating one.
  static GRef adopt(T *p) {
    GRef r;
    if constexpr (GRefTraits<T>::can_float) {
      // g_object_ref_sink() turns a floating reference into the one we own, adding none.
      if (p && g_object_is_floating(p)) p = GRefTraits<T>::sink(p);
    }
    r.ptr_ = p;
    return r;
  }
  // Adds a reference to a borrowed pointer ("transfer none").
  static GRef ref(T *p) {
    GRef r;
    r.ptr_ = p ? GRefTraits<T>::ref(p) : nullptr;
    return r;
  }

  GRef(const GRef &o) : ptr_(o.ptr_ ? GRefTraits<T>::ref(o.ptr_) : nullptr) {}
  GRef(GRef &&o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)) {}
  GRef &operator=(const GRef &o) {
    if (this != &o) {
      GRef tmp(o);
      std::swap(ptr_, tmp.ptr_);
    }
    return *this;
  }
  GRef &operator=(GRef &&o) noexcept {
    if (this != &o) {
      reset();
      ptr_ = std::exchange(o.ptr_, nullptr);
    }
    return *this;
  }

  T *get() const { return ptr_; }
  T *operator->() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }
  // Gives the reference away ("transfer full" to the callee).
  T *release() { return std::exchange(ptr_, nullptr); }
  void reset() {
    if (ptr_) GRefTraits<T>::unref(std::exchange(ptr_, nullptr));
  }

 private:
  T *ptr_ = nullptr;
};

// unique_ptr deleters for plain GLib allocations.
struct GFreeDeleter {
  void operator()(void *p) const { g_free(p); }
};
struct GErrorDeleter {
  void operator()(GError *e) const { g_error_free(e); }
};
struct GStrvDeleter {
  void operator()(gchar **v) const { g_strfreev(v); }
};
struct GstStructureDeleter {
  void operator()(GstStructure *s) const { gst_structure_free(s); }
};
using GCharPtr = std::unique_ptr<gchar, GFreeDeleter>;
using GErrorPtr = std::unique_ptr<GError, GErrorDeleter>;
using GStrvPtr = std::unique_ptr<gchar *, GStrvDeleter>;
using GstStructurePtr = std::unique_ptr<GstStructure, GstStructureDeleter>;

// Scoped GstBuffer map: unmaps on destruction.
class BufferMap {
 public:
  BufferMap(GstBuffer *buf, GstMapFlags flags) : buf_(buf) {
    ok_ = gst_buffer_map(buf_, &info_, flags);
  }
  ~BufferMap() {
    if (ok_) gst_buffer_unmap(buf_, &info_);
  }
  BufferMap(const BufferMap &) = delete;
  BufferMap &operator=(const BufferMap &) = delete;
  bool ok() const { return ok_; }
  const guint8 *data() const { return info_.data; }
  guint8 *mutable_data() { return info_.data; }
  gsize size() const { return info_.size; }

 private:
  GstBuffer *buf_;
  GstMapInfo info_{};
  bool ok_ = false;
};

// A GBytes that takes `bytes` over (no copy); the vector is freed with the last reference.
inline GRef<GBytes> bytes_taking(std::vector<uint8_t> &&bytes) {
  auto *owned = new std::vector<uint8_t>(std::move(bytes));
  return GRef<GBytes>::adopt(g_bytes_new_with_free_func(
      owned->data(), owned->size(),
      [](gpointer p) { delete static_cast<std::vector<uint8_t> *>(p); }, owned));
}

// Scoped GMutex lock.
class MutexLock {
 public:
  explicit MutexLock(GMutex *m) : m_(m) { g_mutex_lock(m_); }
  ~MutexLock() { g_mutex_unlock(m_); }
  MutexLock(const MutexLock &) = delete;
  MutexLock &operator=(const MutexLock &) = delete;

 private:
  GMutex *m_;
};

}  // namespace estuary
