// Connection slots: at most `max` probe connections open at once, and idle
// ones cannot lock the others out (issue 14: 1025 connections that sent
// nothing made every send fail for 10 s, and any local user can open them).
// At the cap a new connection takes the slot of the oldest connection that
// has sent nothing yet; only when every open connection is sending is the new
// one refused. Memory stays bounded by `max`. Pure bookkeeping: the caller
// closes what it is told to. [pure]

export interface ConnectionSlots<S> {
  readonly open: number;
  /**
   * A new connection. `shed` lists connections (oldest idle first) the caller must close to make
   * room; `admitted: false` means no room could be made and the new one is refused.
   */
  admit(conn: S): { readonly admitted: boolean; readonly shed: readonly S[] };
  /** The connection sent its first byte: it is no longer shed for others. */
  active(conn: S): void;
  release(conn: S): void;
}

export function createConnectionSlots<S>(max: () => number): ConnectionSlots<S> {
  // Insertion-ordered: the first entry is the oldest idle connection.
  const idle = new Set<S>();
  const busy = new Set<S>();
  return {
    get open() {
      return idle.size + busy.size;
    },
    admit(conn) {
      const shed: S[] = [];
      while (idle.size + busy.size >= max() && idle.size > 0) {
        const oldest = idle.values().next().value as S;
        idle.delete(oldest);
        shed.push(oldest);
      }
      if (idle.size + busy.size >= max()) return { admitted: false, shed };
      idle.add(conn);
      return { admitted: true, shed };
    },
    active(conn) {
      if (idle.delete(conn)) busy.add(conn);
    },
    release(conn) {
      idle.delete(conn);
      busy.delete(conn);
    },
  };
}
