// Database URLs: which dialect, and where. [pure]

/** A database URL the collector understands, or why not. */
export type DbLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

/** `sqlite:PATH` (also `sqlite://PATH`, or a bare path) or `postgres://` / `postgresql://`. [pure] */
export function parseDbUrl(url: string): DbLocation {
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  if (url.startsWith('sqlite://')) return { dialect: 'sqlite', path: url.slice('sqlite://'.length) };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', path: url.slice('sqlite:'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error(`unsupported database URL '${url}': use sqlite:PATH or postgres://...`);
  }
  if (url === '') throw new Error('empty database URL: use sqlite:PATH or postgres://...');
  return { dialect: 'sqlite', path: url };
}
