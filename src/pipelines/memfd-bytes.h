// MemfdBytes: bytes written once into an anonymous memory file (memfd_create), sealed against any
// further change, and mapped read-only. The same pages serve two kinds of reader with no second
// copy: GBytes users read the mapping, and the HTTP output hands the fd to sendfile(2), where the
// kernel references the pages instead of copying them from user space (the copy was a fifth of
// the HTTP thread's time when segments were sent from heap memory).
//
// When a memfd cannot be had (no memfd support, out of file descriptors), the bytes live on the
// heap and `fd` is -1: every reader must accept that and fall back to the GBytes.
//
// Thread-safe: a MemfdBytes is immutable; copies share the same mapping and fd.
#pragma once

#include <gst/gst.h>

#include <vector>

#include "common/gref.h"

namespace estuary {

struct MemfdBytes {
  // The read-only mapping (or heap bytes). Owns the fd and the mapping: both are released when
  // the last reference to this GBytes goes.
  GRef<GBytes> bytes;
  // Sealed (no write, grow or shrink) memfd holding exactly `bytes`; valid while a reference to
  // `bytes` is held; -1 when the bytes are on the heap.
  int fd = -1;

  gsize size() const { return bytes ? g_bytes_get_size(bytes.get()) : 0; }
};

// Writes the concatenation of `parts` (transfer none) into a sealed memfd named `name` (shown in
// /proc/PID/fd and maps). Any thread.
MemfdBytes memfd_bytes_from_buffers(const char *name, const std::vector<GstBuffer *> &parts);
// Same, from `data` (transfer none); copies it once.
MemfdBytes memfd_bytes_from_bytes(const char *name, GBytes *data);

}  // namespace estuary
