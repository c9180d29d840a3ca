// MemfdBytes: the bytes land once in a sealed memfd, the GBytes is a read-only view of the same
// file, the file cannot be changed, sendfile() sends exactly those bytes, and the fd closes with
// the last reference.
#include <fcntl.h>
#include <gst/gst.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "pipelines/memfd-bytes.h"
#include "pipelines/segment-store.h"

using namespace estuary;

static GRef<GstBuffer> buffer_of(const std::string &s) {
  return GRef<GstBuffer>::adopt(gst_buffer_new_memdup(s.data(), s.size()));
}

static std::string read_fd(int fd, gsize size) {
  std::string out(size, '\0');
  g_assert_cmpint(pread(fd, out.data(), size, 0), ==, static_cast<gssize>(size));
  return out;
}

static void test_from_buffers() {
  // A buffer of two memories, an empty buffer, and a plain one.
  GRef<GstBuffer> two = buffer_of("hello ");
  gst_buffer_append_memory(two.get(),
                           gst_memory_ref(gst_buffer_peek_memory(buffer_of("memfd ").get(), 0)));
  GRef<GstBuffer> empty = GRef<GstBuffer>::adopt(gst_buffer_new());
  GRef<GstBuffer> last = buffer_of("world");
  MemfdBytes m = memfd_bytes_from_buffers("test-segment", {two.get(), empty.get(), last.get()});
  g_assert_cmpint(m.fd, >=, 0);
  g_assert_cmpuint(m.size(), ==, 17);
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(m.bytes.get(), &size));
  // (g_assert_cmpstr keeps a pointer past the statement: no temporaries in it)
  const std::string mapped(data, size), in_file = read_fd(m.fd, 17);
  g_assert_cmpstr(mapped.c_str(), ==, "hello memfd world");
  g_assert_cmpstr(in_file.c_str(), ==, "hello memfd world");

  // Sealed: no write, no resize, no new seals.
  const int seals = fcntl(m.fd, F_GET_SEALS);
  g_assert_cmpint(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL), ==,
                  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  g_assert_cmpint(pwrite(m.fd, "x", 1, 0), ==, -1);
  g_assert_cmpint(errno, ==, EPERM);
  g_assert_cmpint(ftruncate(m.fd, 1), ==, -1);
  g_assert_true(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);

  // sendfile() from the memfd sends the same bytes (the HTTP output's segment path).
  int sv[2];
  g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
  off_t off = 6;
  g_assert_cmpint(sendfile(sv[0], m.fd, &off, 5), ==, 5);
  char got[6] = {0};
  g_assert_cmpint(read(sv[1], got, 5), ==, 5);
  g_assert_cmpstr(got, ==, "memfd");
  close(sv[0]);
  close(sv[1]);

  // The fd lives as long as any reference to the bytes.
  const int fd = m.fd;
  GRef<GBytes> kept = m.bytes;
  m = MemfdBytes();
  g_assert_cmpint(fcntl(fd, F_GETFD), !=, -1);
  kept.reset();
  g_assert_cmpint(fcntl(fd, F_GETFD), ==, -1);
  g_assert_cmpint(errno, ==, EBADF);
}

static void test_from_bytes_and_store() {
  GRef<GBytes> plain = GRef<GBytes>::adopt(g_bytes_new_static("0123456789", 10));
  SegmentStore store;
  store.add(plain.get(), 0, 1000);
  auto seg = store.get(0);
  g_assert_true(seg.has_value());
  g_assert_cmpint(seg->fd, >=, 0);
  const std::string in_file = read_fd(seg->fd, 10);
  g_assert_cmpstr(in_file.c_str(), ==, "0123456789");
  // A copy, not the caller's bytes.
  g_assert_true(g_bytes_get_data(seg->data.get(), nullptr) !=
                g_bytes_get_data(plain.get(), nullptr));
  g_assert_cmpint(g_bytes_compare(seg->data.get(), plain.get()), ==, 0);

  // Nothing to keep: heap bytes, no fd.
  GRef<GBytes> none = GRef<GBytes>::adopt(g_bytes_new(nullptr, 0));
  MemfdBytes m = memfd_bytes_from_bytes("test-empty", none.get());
  g_assert_cmpint(m.fd, ==, -1);
  g_assert_cmpuint(m.size(), ==, 0);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/memfd-bytes/from-buffers", test_from_buffers);
  g_test_add_func("/memfd-bytes/from-bytes-and-store", test_from_bytes_and_store);
  return g_test_run();
}
