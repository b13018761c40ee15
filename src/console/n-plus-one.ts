import { queryShape } from './query-shape.js';

/** A statement shape that ran too often in one request. */
export interface NPlusOneFinding {
  /** The normalised statement (`select * from posts where author_id = ?`). */
  readonly shape: string;
  /** How many times it ran in the request. */
  readonly count: number;
}

/**
 * Flags likely N+1 queries from the statements one request ran: every statement shape (see
 * `queryShape`) that ran at least `threshold` times — the loop that loads a relation row by row
 * where one query (a join, `IN (…)`, eager loading) would do. Most repeated first. Statements
 * are added one at a time, so memory grows with distinct shapes, not with statements.
 *
 * @example
 * const detector = new NPlusOneDetector(2);
 * detector.add('SELECT * FROM a WHERE id = 1');
 * detector.add('SELECT * FROM a WHERE id = 2');
 * detector.findings(); // [{ shape: 'select * from a where id = ?', count: 2 }]
 */
export class NPlusOneDetector {
  readonly threshold: number;
  readonly #counts = new Map<string, number>();

  constructor(threshold: number) {
    if (!Number.isInteger(threshold) || threshold < 2) throw new RangeError('nPlusOneThreshold must be an integer of at least 2');
    this.threshold = threshold;
  }

  /** Counts one executed statement. */
  add(sql: string): void {
    const shape = queryShape(sql);
    this.#counts.set(shape, (this.#counts.get(shape) ?? 0) + 1);
  }

  /** The shapes repeated at least `threshold` times, most repeated first. */
  findings(): NPlusOneFinding[] {
    const out: NPlusOneFinding[] = [];
    for (const [shape, count] of this.#counts) if (count >= this.threshold) out.push({ shape, count });
    return out.sort((a, b) => b.count - a.count);
  }
}
