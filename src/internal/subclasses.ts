import { Session } from 'node:inspector';

const GROUP = 'covet-subclasses';

/**
 * Every live class that extends `base`, directly or not, found by asking V8 for the objects
 * whose prototype chain holds `base` (`Runtime.queryObjects` of the in-process inspector: a
 * full garbage collection and a heap walk, tens of milliseconds — for setup code such as
 * `createAll()`, never a request path). A JavaScript class cannot announce its own
 * definition, so this is the only way to learn of one nothing has used yet. Empty when the
 * runtime has no inspector (Node built without it) or the query fails.
 *
 * @example
 * subclassesOf(Model) // [User, Post] once both classes are defined
 */
export function subclassesOf(base: abstract new (...args: never[]) => unknown): Function[] {
  let session: Session;
  try {
    session = new Session();
    session.connect();
  } catch {
    return [];
  }
  const key = `__covet_subclasses_${process.pid}_${Math.random().toString(36).slice(2)}`;
  const global = globalThis as Record<string, unknown>;
  global[key] = base;
  let found: unknown = [];
  try {
    // Same-thread sessions answer synchronously: each callback has run when `post` returns.
    let baseId: string | undefined;
    session.post('Runtime.evaluate', { expression: `globalThis[${JSON.stringify(key)}]`, objectGroup: GROUP }, (err, res) => {
      if (err === null) baseId = res.result.objectId;
    });
    let listId: string | undefined;
    if (baseId !== undefined)
      session.post('Runtime.queryObjects', { prototypeObjectId: baseId, objectGroup: GROUP }, (err, res) => {
        if (err === null) listId = (res as { objects?: { objectId?: string } } | undefined)?.objects?.objectId;
      });
    if (listId !== undefined)
      session.post('Runtime.callFunctionOn', {
        objectId: listId,
        functionDeclaration: 'function (key) { globalThis[key] = Array.from(this); }',
        arguments: [{ value: key }],
        objectGroup: GROUP,
      });
    found = global[key];
  } catch {
    found = [];
  } finally {
    delete global[key];
    try {
      session.post('Runtime.releaseObjectGroup', { objectGroup: GROUP });
      session.disconnect();
    } catch {}
  }
  // Objects built with `Object.create(base)` have it in their chain too: keep classes only.
  return Array.isArray(found) ? found.filter((x): x is Function => typeof x === 'function' && x !== base) : [];
}
