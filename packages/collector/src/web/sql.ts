// A WHERE clause built from parts, each with its own `?` placeholders, numbered
// $1..$n at the end (the Db contract's placeholder style in both dialects).

export class Where {
  private readonly parts: string[] = [];
  readonly params: unknown[] = [];

  /** `cond` uses `?` for each of `values`, in order. */
  add(cond: string, ...values: unknown[]): this {
    let i = 0;
    this.parts.push(
      cond.replace(/\?/g, () => {
        this.params.push(values[i++]);
        return `$${this.params.length}`;
      }),
    );
    return this;
  }

  /** `col IN (?, ?, ...)`; an empty list matches nothing. */
  addIn(column: string, values: readonly unknown[]): this {
    if (values.length === 0) return this.add('1 = 0');
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  get sql(): string {
    return this.parts.length ? ` WHERE ${this.parts.join(' AND ')}` : '';
  }

  /** The next placeholder number, for parameters appended after the WHERE. */
  next(): string {
    return `$${this.params.length + 1}`;
  }
}
