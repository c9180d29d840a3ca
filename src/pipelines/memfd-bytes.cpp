#include "pipelines/memfd-bytes.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

GST_DEBUG_CATEGORY_STATIC(memfd_debug);
#define GST_CAT_DEFAULT memfd_debug

namespace estuary {

namespace {

// Open memfds of this module, against fd_budget(): a VoD store keeps every segment (an hour of
// 2 s segments is 1,800 files), and viewers' sockets need descriptors too.
std::atomic<long> open_memfds{0};
long budget = 0;

void init_once() {
  static gsize once = 0;
  if (!g_once_init_enter(&once)) return;
  GST_DEBUG_CATEGORY_INIT(memfd_debug, "estuary-memfd", 0, "Estuary sealed memory files");
  // The default soft limit (often 1024) is a relic of select(); GLib polls, so raise it to the
  // hard limit, and let memfds take at most half of it.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      struct rlimit raised = rl;
      raised.rlim_cur = rl.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    budget = rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : static_cast<long>(rl.rlim_cur / 2);
  } else {
    budget = 512;
  }
  g_once_init_leave(&once, 1);
}

struct Mapping {
  void *addr;
  gsize size;
  int fd;
};

void free_mapping(gpointer data) {
  auto *m = static_cast<Mapping *>(data);
  munmap(m->addr, m->size);
  close(m->fd);
  open_memfds--;
  delete m;
}

// Writes all of `iov` (count `n`), resuming partial writes.
bool write_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n < IOV_MAX ? n : IOV_MAX);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char *>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

// A sealed, read-only-mapped memfd holding the bytes of `iov`, or an empty result (fd -1) when
// it cannot be made.
MemfdBytes seal(const char *name, const std::vector<struct iovec> &parts, gsize total) {
  init_once();
  MemfdBytes out;
  if (total == 0) return out;
  if (open_memfds.fetch_add(1) >= budget) {
    open_memfds--;
    GST_LOG("%s: memfd budget (%ld) used up, keeping the bytes on the heap", name, budget);
    return out;
  }
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    open_memfds--;
    GST_WARNING("%s: memfd_create: %s", name, g_strerror(errno));
    return out;
  }
  std::vector<struct iovec> iov = parts;  // write_all() advances its entries
  void *addr = MAP_FAILED;
  if (write_all(fd, iov.data(), static_cast<int>(iov.size())) &&
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0) {
    // A shared read-only mapping of a write-sealed memfd needs Linux 6.7; a private read-only
    // one shares the same page-cache pages on any kernel (nothing ever writes to it).
    addr = mmap(nullptr, total, PROT_READ, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) addr = mmap(nullptr, total, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  if (addr == MAP_FAILED) {
    GST_WARNING("%s: could not fill, seal or map a memfd: %s", name, g_strerror(errno));
    close(fd);
    open_memfds--;
    return out;
  }
  auto *m = new Mapping{addr, total, fd};
  out.bytes = GRef<GBytes>::adopt(g_bytes_new_with_free_func(addr, total, free_mapping, m));
  out.fd = fd;
  return out;
}

// Heap copy of `iov`, for when no memfd can be had.
MemfdBytes on_heap(const std::vector<struct iovec> &iov, gsize total) {
  auto *data = static_cast<guint8 *>(g_malloc(total ? total : 1));
  gsize off = 0;
  for (const auto &v : iov) {
    memcpy(data + off, v.iov_base, v.iov_len);
    off += v.iov_len;
  }
  MemfdBytes out;
  out.bytes = GRef<GBytes>::adopt(g_bytes_new_take(data, total));
  return out;
}

}  // namespace

MemfdBytes memfd_bytes_from_buffers(const char *name, const std::vector<GstBuffer *> &parts) {
  // Map every memory of every buffer (a buffer may hold several) and write them with writev: one
  // copy into the memfd's pages, and no intermediate buffer.
  struct Mapped {
    GstMemory *memory;
    GstMapInfo info;
  };
  std::vector<Mapped> maps;
  std::vector<struct iovec> iov;
  gsize total = 0;
  for (GstBuffer *b : parts) {
    const guint n = gst_buffer_n_memory(b);
    for (guint i = 0; i < n; i++) {
      Mapped m{gst_buffer_peek_memory(b, i), {}};
      if (!gst_memory_map(m.memory, &m.info, GST_MAP_READ)) continue;
      maps.push_back(m);
      if (m.info.size == 0) continue;
      iov.push_back({m.info.data, m.info.size});
      total += m.info.size;
    }
  }
  MemfdBytes out = seal(name, iov, total);
  if (!out.bytes) out = on_heap(iov, total);
  for (auto &m : maps) gst_memory_unmap(m.memory, &m.info);
  return out;
}

MemfdBytes memfd_bytes_from_bytes(const char *name, GBytes *data) {
  gsize size = 0;
  const void *p = g_bytes_get_data(data, &size);
  std::vector<struct iovec> iov;
  if (size) iov.push_back({const_cast<void *>(p), size});
  MemfdBytes out = seal(name, iov, size);
  if (!out.bytes) out.bytes = GRef<GBytes>::ref(data);  // no memfd: share the caller's bytes
  return out;
}

}  // namespace estuary
