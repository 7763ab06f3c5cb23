/* A process with a >= 1 GiB resident heap, for a core that crashprobe must stream.
 * It touches every page with a non-zero byte (so the core is not sparse), says
 * "ready" and waits for gcore. Then the harness kills it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 1100;
  size_t n = mib << 20;
  volatile char *p = malloc(n);
  if (p == NULL) return 1;
  for (size_t i = 0; i < n; i += 4096) p[i] = (char)(i >> 12) | 1;
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
