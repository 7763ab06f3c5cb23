// Monotonic milliseconds for intervals, timeouts and rate-limit windows (wall-clock jumps must
// not move them). Not performance.now(): the first use of `performance` loads node:perf_hooks,
// nine modules and ~0.4 MiB of RSS for a daemon that only ever subtracts two readings.
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}
