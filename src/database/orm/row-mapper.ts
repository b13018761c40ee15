import type { Row } from '../queryable.js';
import { CANONICAL_ISO, ColumnType, isoString } from './column-type.js';

/**
 * Per-instance bookkeeping, one symbol-keyed property: `null` for a new instance, else the row
 * as last read or written (what `save()` diffs against), or `LOADED` when there is none.
 */
export const kState = Symbol('covet.model.state');
/** The state of an instance that was written but could not be read back. */
export const LOADED: Row = Object.freeze({});

/** One column as the mapper needs it (a `ColumnMeta`, structurally: no import cycle with model-meta). */
export interface MappedColumn {
  readonly prop: string;
  readonly name: string;
  readonly type: ColumnType<unknown>;
}

/**
 * What the ORM compiles once per model: building instances from rows, keeping the state that
 * `save()` diffs against, and the JSON form.
 *
 * Timestamps: SQLite hands back the ISO text the ORM stored. The instance still gets a `Date`
 * (the property's type), and remembers the instant that text stood for in a symbol-keyed slot
 * per date column, so `toJSON` can send the very text back instead of running `toISOString`
 * (the costliest step of answering with a row) while the date holds that instant.
 */
export interface RowMapper {
  /**
   * A model instance from a driver row: no constructor runs, so subclass field initialisers
   * cannot clobber it. `decoded`: the driver parsed JSON columns and made `Date`s (PostgreSQL,
   * MySQL); SQLite hands back JSON as text. The row becomes the state, with its JSON and dates
   * replaced by their value (JSON text, epoch ms) so that changing them in place shows in `save()`.
   */
  readonly hydrate: (row: Row, decoded: boolean) => object;
  /** The same from the row's values in column order (SQLite's raw rows: no row object from the driver). */
  readonly hydrateValues: (values: readonly unknown[]) => object;
  /** The JSON form: own enumerable column properties and loaded relations, dates as ISO-8601 text. */
  readonly toJSON: (obj: object) => Record<string, unknown>;
  /** Records `state` (a row, `LOADED` or `null`) as what the instance was last read or written as. */
  readonly setState: (obj: object, state: Row | null) => void;
}

type Bag = Record<string | symbol, unknown>;

/** The instant a canonical ISO text (`toISOString()`'s form) stands for, else NaN. */
function canonicalTime(value: unknown): number {
  return typeof value === 'string' && value.length === 24 && CANONICAL_ISO.test(value) ? Date.parse(value) : Number.NaN;
}

function isDateKind(type: ColumnType<unknown>): boolean {
  return type.kind === 'datetime' || type.kind === 'date';
}

/** A built-in `Json` column (a custom type decodes its values itself). */
function isJson(type: ColumnType<unknown>): boolean {
  return type.kind === 'json' && type.fromDb === ColumnType.prototype.fromDb;
}

/**
 * What the state keeps of a value the driver returned or the ORM wrote: never an object the
 * instance may share and change in place — a `Date` as its epoch ms (read back through `fromDb`),
 * a JSON value as its text.
 */
export function stateValue(type: ColumnType<unknown>, value: unknown, decoded: boolean): unknown {
  if (value instanceof Date) return value.getTime();
  if (decoded && value !== null && value !== undefined && isJson(type)) return JSON.stringify(value);
  return value;
}

/** The check that lets a value through unconverted, for a type whose `fromDb` is the built-in one. */
function passThrough(type: ColumnType<unknown>): string | null {
  if (type.fromDb !== ColumnType.prototype.fromDb) return null; // a custom type: always its own fromDb
  switch (type.kind) {
    case 'integer':
    case 'bigint':
    case 'float':
      return "typeof v === 'number'";
    case 'string':
    case 'text':
    case 'uuid':
    case 'decimal':
      return "typeof v === 'string'";
    case 'boolean':
      return "typeof v === 'boolean'";
    default:
      return null;
  }
}

/**
 * Compiles the row mapper of a model: a constructor whose prototype is the model's (so rows
 * become instances with one stable shape, each column a plain own property), and a `toJSON`
 * that builds the JSON object with one literal when the instance still has exactly its columns
 * (anything else — loaded relations, extra or deleted properties — takes the generic loop, with
 * the same output). Generated code only ever names columns through `JSON.stringify`.
 */
export function compileRowMapper(prototype: object, columns: readonly MappedColumn[]): RowMapper {
  const types = columns.map((c) => c.type);
  const dates = columns.filter((c) => isDateKind(c.type) && c.type.fromDb === ColumnType.prototype.fromDb);
  const slots = new Map<string, symbol>(dates.map((c) => [c.prop, Symbol(`covet.model.time.${c.prop}`)]));
  const slotList = dates.map((c) => slots.get(c.prop) as symbol);
  const q = (s: string): string => JSON.stringify(s);
  // An object literal key: a quoted "__proto__" would set the prototype, a computed one does not.
  const key = (s: string): string => (s === '__proto__' ? `[${q(s)}]` : q(s));

  // The constructor: `this.prop = <converted row.name>` per column, then the state.
  const ctor: string[] = ['let v;'];
  columns.forEach((c, i) => {
    ctor.push(`v = row[${q(c.name)}];`);
    const slot = dates.indexOf(c);
    if (slot !== -1) {
      // A Date from the driver is the instance's own now: the state keeps its instant.
      ctor.push(
        `if (typeof v === 'string' && v.length === 24 && ISO.test(v)) { const d = new Date(v); this[${q(c.prop)}] = d; this[SLOTS[${slot}]] = d.getTime(); }`,
        `else { this[${q(c.prop)}] = T[${i}].fromDb(v); this[SLOTS[${slot}]] = NaN; if (v instanceof Date) row[${q(c.name)}] = v.getTime(); }`,
      );
      return;
    }
    if (isJson(c.type)) {
      // Parsed by the driver (a string is a JSON string, not JSON text to parse again): the
      // instance takes it, the state its text. From SQLite: the text, parsed.
      ctor.push(
        `if (decoded) { if (v === undefined || v === null) this[${q(c.prop)}] = null; else { this[${q(c.prop)}] = v; row[${q(c.name)}] = JSON.stringify(v); } }`,
        `else this[${q(c.prop)}] = T[${i}].fromDb(v);`,
      );
      return;
    }
    const pass = passThrough(c.type);
    ctor.push(pass === null ? `this[${q(c.prop)}] = T[${i}].fromDb(v);` : `this[${q(c.prop)}] = ${pass} ? v : T[${i}].fromDb(v);`);
  });
  ctor.push('this[STATE] = row;');

  // toJSON's literal (null unless the instance has exactly its columns, in order): dates unchanged
  // since they were read send the text they were read as.
  const fields = columns.map((c) => {
    const slot = dates.indexOf(c);
    if (slot === -1) return `${key(c.prop)}: o[${q(c.prop)}]`;
    return `${key(c.prop)}: (v = o[${q(c.prop)}]) instanceof Date ? (v.getTime() === o[SLOTS[${slot}]] ? o[STATE][${q(c.name)}] : ISO_STRING(v)) : v`;
  });
  const props = columns.map((c) => c.prop);
  const source = `
    function Hydrated(row, decoded) { ${ctor.join('\n')} }
    Hydrated.prototype = PROTO;
    function hydrate(row, decoded) { return new Hydrated(row, decoded); }
    function hydrateValues(a) { return new Hydrated({ ${columns.map((c, i) => `${key(c.name)}: a[${i}]`).join(', ')} }, false); }
    function literal(o) {
      let i = 0;
      for (const k in o) { if (k !== PROPS[i]) return null; i++; }
      if (i !== ${props.length}) return null;
      let v;
      return { ${fields.join(', ')} };
    }
    return { hydrate, hydrateValues, literal };`;
  const factory = new Function('PROTO', 'T', 'SLOTS', 'STATE', 'ISO', 'ISO_STRING', 'PROPS', source) as (...args: unknown[]) => {
    hydrate: (row: Row, decoded: boolean) => object;
    hydrateValues: (values: readonly unknown[]) => object;
    literal: (o: object) => Record<string, unknown> | null;
  };
  const compiled = factory(prototype, types, slotList, kState, CANONICAL_ISO, isoString, props);

  const byProp = new Map(dates.map((c) => [c.prop, c]));
  function generic(obj: object): Record<string, unknown> {
    const self = obj as Bag;
    const out: Record<string, unknown> = {};
    for (const key in self) {
      const value = self[key];
      if (!(value instanceof Date)) {
        out[key] = value;
        continue;
      }
      const slot = slots.get(key);
      const column = slot === undefined ? undefined : byProp.get(key);
      out[key] =
        column !== undefined && value.getTime() === self[slot as symbol]
          ? ((self[kState] as Row)[column.name] as string)
          : isoString(value);
    }
    return out;
  }

  return {
    hydrate: compiled.hydrate,
    hydrateValues: compiled.hydrateValues,
    toJSON: (obj) => compiled.literal(obj) ?? generic(obj),
    setState(obj, state) {
      const self = obj as Bag;
      self[kState] = state;
      // The slot holds the instant whose text the state row has, so toJSON may send that text.
      for (let i = 0; i < dates.length; i++) {
        const c = dates[i] as MappedColumn;
        const slot = slotList[i] as symbol;
        if (state === null || !(c.name in state)) {
          if (slot in self) self[slot] = Number.NaN;
        } else self[slot] = canonicalTime(state[c.name]);
      }
    },
  };
}
