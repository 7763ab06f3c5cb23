/* One sender process: like a C probe, one connection per record (connect, write the frame, close).
 * Node senders top out near 6k connections/s on 2 cores, below what telemd must take, so the
 * intake benches send from C. Frames come from a file of concatenated frames (each starts with its
 * u32le total size). Protocol on stdio: prints "ready", waits for one byte on stdin, sends, prints
 * "done <sent> <failed> <retries> <start ns> <end ns>" (CLOCK_MONOTONIC, as node's hrtime). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sender SOCKET FRAMES_FILE\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  FILE *f = fopen(argv[2], "rb");
  if (f == NULL) return 2;
  struct stat st;
  fstat(fileno(f), &st);
  unsigned char *buf = malloc((size_t)st.st_size);
  if (buf == NULL || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) return 2;
  fclose(f);
  printf("ready\n");
  fflush(stdout);
  char go;
  if (read(0, &go, 1) != 1) return 2;
  long sent = 0, failed = 0, retries = 0;
  long long start = now_ns();
  for (size_t off = 0; off + 4 <= (size_t)st.st_size;) {
    uint32_t size = (uint32_t)buf[off] | (uint32_t)buf[off + 1] << 8 | (uint32_t)buf[off + 2] << 16 |
                    (uint32_t)buf[off + 3] << 24;
    if (size < 4 || off + size > (size_t)st.st_size) return 3;
    int ok = 0;
    for (int tries = 0; tries < 1000 && !ok; tries++) {
      int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) return 4;
      if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        ok = write_all(fd, buf + off, size) == 0;
        close(fd);
        if (!ok) break;
      } else {
        int e = errno;
        close(fd);
        if (e != EAGAIN && e != ECONNREFUSED && e != ENOENT) break;
        retries++;
        sched_yield();
      }
    }
    if (ok) sent++;
    else failed++;
    off += size;
  }
  long long end = now_ns();
  printf("done %ld %ld %ld %lld %lld\n", sent, failed, retries, start, end);
  fflush(stdout);
  return 0;
}
