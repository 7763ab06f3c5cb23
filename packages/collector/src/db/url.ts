// Database URLs: which dialect, and where. [pure]

export type SqliteSynchronous = 'full' | 'normal';

/** A database URL the collector understands, or why not. */
export type DbLocation =
  | { readonly dialect: 'sqlite'; readonly path: string; readonly synchronous: SqliteSynchronous }
  | { readonly dialect: 'postgres'; readonly url: string };

/**
 * `sqlite:PATH` (also `sqlite://PATH`, or a bare path), optionally `?synchronous=normal`, or
 * `postgres://` / `postgresql://`. synchronous=full (the default) fsyncs every commit: an
 * acknowledged record survives a power cut. normal fsyncs at checkpoints only: it survives
 * kill -9 of the collector (the WAL is in the OS's cache) but not a crash of the machine.
 */
export function parseDbUrl(url: string): DbLocation {
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('sqlite://')) {
    throw new Error(`unsupported database URL '${url}': use sqlite:PATH or postgres://...`);
  }
  let rest = url.startsWith('sqlite://')
    ? url.slice('sqlite://'.length)
    : url.startsWith('sqlite:')
      ? url.slice('sqlite:'.length)
      : url;
  let synchronous: SqliteSynchronous = 'full';
  const q = rest.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(rest.slice(q + 1));
    rest = rest.slice(0, q);
    for (const [key, value] of params) {
      if (key !== 'synchronous' || (value !== 'full' && value !== 'normal')) {
        throw new Error(
          `unsupported SQLite option '${key}=${value}': only synchronous=full or synchronous=normal`,
        );
      }
      synchronous = value;
    }
  }
  if (rest === '') throw new Error('empty database path: use sqlite:PATH or postgres://...');
  return { dialect: 'sqlite', path: rest, synchronous };
}
