// Connection slots: at most `max` probe connections are being read at once,
// and idle ones cannot lock the others out (issue 14: 1025 connections that
// sent nothing made every send fail for 10 s, and any local user can open
// them). At the cap a new connection takes the slot of the oldest connection
// that has sent nothing for `idleMs`; only when there is none is the new one
// refused. Memory stays bounded by `max`. A connection leaves its slot once
// its frame is read (it then only waits for its answer).
//
// Why a minimum idle age: a C probe writes its frame and closes at once, but
// telemd accepts a burst of connections (up to the listen backlog) before it
// reads any of them; shedding a connection accepted a moment ago would throw
// away a frame that is already waiting in the kernel. [pure]

export interface ConnectionSlots<S> {
  readonly open: number;
  /**
   * A new connection at `nowMs`. `shed` lists connections (oldest idle first) the caller must
   * close to make room; `admitted: false` means no room could be made and the new one is refused.
   */
  admit(conn: S, nowMs: number): { readonly admitted: boolean; readonly shed: readonly S[] };
  /** The connection sent its first byte: it is no longer shed for others. */
  active(conn: S): void;
  /** Its frame is read (or it closed): the slot is free. */
  release(conn: S): void;
}

export function createConnectionSlots<S>(options: {
  readonly max: () => number;
  /** A connection silent for less than this is never shed. */
  readonly idleMs: number;
}): ConnectionSlots<S> {
  // Insertion-ordered (oldest first), with the accept time.
  const idle = new Map<S, number>();
  const busy = new Set<S>();
  const full = (): boolean => idle.size + busy.size >= options.max();
  return {
    get open() {
      return idle.size + busy.size;
    },
    admit(conn, nowMs) {
      const shed: S[] = [];
      for (const [oldest, since] of idle) {
        if (!full() || nowMs - since < options.idleMs) break;
        idle.delete(oldest);
        shed.push(oldest);
      }
      if (full()) return { admitted: false, shed };
      idle.set(conn, nowMs);
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
