// A small seeded PRNG for fuzzers: every fuzz test prints its seed, and the
// same seed replays the same inputs.

/** mulberry32: fast, seeded, good enough to pick mutations. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a seeded test: TELEM_FC_SEED (FC_SEED, the older name, too) to replay a run,
 * else a fresh one. The caller prints it, so a failure can be replayed.
 */
export function seedFromEnv(): number {
  const given = process.env['TELEM_FC_SEED'] ?? process.env['FC_SEED'];
  return given !== undefined ? Number(given) : Date.now() % 2 ** 31;
}
