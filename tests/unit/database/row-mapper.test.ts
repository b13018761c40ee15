import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ColumnType, DateTime, Integer, Json, String, Text } from '../../../src/database/orm/index.js';
import { compileRowMapper, kState, LOADED } from '../../../src/database/orm/row-mapper.js';

class Thing {
  hello(): string {
    return 'hi';
  }
}

const columns = [
  { prop: 'id', name: 'id', type: Integer },
  { prop: 'title', name: 'the title', type: String(20) },
  { prop: 'body', name: 'body"); globalThis.pwned = true; ("', type: Text },
  { prop: 'at', name: 'created_at', type: DateTime },
] as const;

describe('compileRowMapper', () => {
  const mapper = compileRowMapper(Thing.prototype, columns);

  it('builds instances of the model from rows, converting what the driver left as text', () => {
    const row = { id: '7', 'the title': 'T', 'body"); globalThis.pwned = true; ("': 'B', created_at: '2026-01-02T03:04:05.678Z' };
    const obj = mapper.hydrate(row, false) as Thing & Record<string, unknown>;
    assert.ok(obj instanceof Thing);
    assert.equal(obj.hello(), 'hi');
    assert.deepEqual(Object.keys(obj), ['id', 'title', 'body', 'at']);
    assert.equal(obj.id, 7);
    assert.equal(obj.body, 'B');
    assert.deepEqual(obj.at, new Date('2026-01-02T03:04:05.678Z'));
    assert.equal((obj as unknown as Record<symbol, unknown>)[kState], row);
    assert.equal((globalThis as { pwned?: unknown }).pwned, undefined); // names are never code
    const fromValues = mapper.hydrateValues([7, 'T', 'B', '2026-01-02T03:04:05.678Z']);
    assert.deepEqual(mapper.toJSON(fromValues), mapper.toJSON(obj));
  });

  it('takes JSON and dates a driver decoded as they are, and keeps them in the state by value', () => {
    const json = compileRowMapper(Thing.prototype, [
      { prop: 'id', name: 'id', type: Integer },
      { prop: 'data', name: 'data', type: Json },
      { prop: 'at', name: 'at', type: DateTime },
    ]);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const data = { a: [1] };
    const obj = json.hydrate({ id: 1, data, at }, true) as Record<string, unknown>;
    assert.equal(obj.data, data);
    assert.equal(obj.at, at);
    assert.deepEqual((obj as unknown as Record<symbol, unknown>)[kState], { id: 1, data: '{"a":[1]}', at: at.getTime() });
    assert.equal((json.hydrate({ id: 2, data: '123', at: null }, true) as Record<string, unknown>).data, '123');
    assert.equal((json.hydrate({ id: 2, data: '123', at: null }, false) as Record<string, unknown>).data, 123);
    assert.equal((json.hydrateValues([3, '"123"', null]) as Record<string, unknown>).data, '123');
  });

  it('gives the JSON of toISOString for every date, changed or not', () => {
    const obj = mapper.hydrateValues([1, 'a', null, '2026-01-02T03:04:05.678Z']) as Record<string, unknown>;
    assert.deepEqual(mapper.toJSON(obj), { id: 1, title: 'a', body: null, at: '2026-01-02T03:04:05.678Z' });
    (obj.at as Date).setUTCFullYear(2030);
    assert.equal(mapper.toJSON(obj).at, '2030-01-02T03:04:05.678Z');
    obj.at = new Date('2026-01-02T03:04:05.678Z');
    assert.equal(mapper.toJSON(obj).at, '2026-01-02T03:04:05.678Z');
    obj.extra = new Date(0);
    assert.deepEqual(mapper.toJSON(obj), { id: 1, title: 'a', body: null, at: '2026-01-02T03:04:05.678Z', extra: '1970-01-01T00:00:00.000Z' });
    // A state without the column (written, not read back) never lends its text.
    mapper.setState(obj, LOADED);
    (obj.at as Date).setTime(Date.parse('2026-01-02T03:04:05.678Z'));
    assert.equal(mapper.toJSON(obj).at, '2026-01-02T03:04:05.678Z');
    mapper.setState(obj, { created_at: '2027-07-07T07:07:07.777Z' });
    assert.equal(mapper.toJSON(obj).at, '2026-01-02T03:04:05.678Z');
  });

  it('reads other timestamp forms through the column type', () => {
    const obj = mapper.hydrateValues([1, 'a', null, '2026-01-02 03:04:05']) as Record<string, unknown>;
    assert.equal(mapper.toJSON(obj).at, '2026-01-02T03:04:05.000Z');
    const bad = mapper.hydrateValues([1, 'a', null, 'not a date']) as Record<string, unknown>;
    assert.equal(mapper.toJSON(bad).at, null);
  });

  it("uses a custom type's fromDb, and keeps a column named __proto__ an own property", () => {
    class Shout extends ColumnType<string> {
      constructor() {
        super('string');
      }
      override fromDb(value: unknown): string {
        return `${value as string}!`;
      }
    }
    const odd = compileRowMapper(Thing.prototype, [
      { prop: 'id', name: 'id', type: Integer },
      { prop: 'word', name: '__proto__', type: new Shout() },
    ]);
    const obj = odd.hydrateValues([1, 'hey']) as Thing & Record<string, unknown>;
    assert.ok(obj instanceof Thing);
    assert.equal(obj.word, 'hey!');
    assert.equal(Object.getPrototypeOf((obj as unknown as Record<symbol, object>)[kState]), Object.prototype);
  });
});
