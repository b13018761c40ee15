// A small inventory API with planted bugs, the target of `covet fuzz` in the tests and in
// docs/fuzzing.md: `createApp()` has three bugs, `createApp({ fixed: true })` has none.
//   1. POST /items: the SKU prefix is taken from `name.trim()[0]`, which is undefined for an
//      empty or blank name → TypeError → 500. Fixed: the schema trims and requires a character.
//   2. GET /items/{id}/label?width=N: pads with '-'.repeat(width - …), a RangeError for a
//      negative width → 500. Fixed: the query schema says width ≥ 0 (and caps it).
//   3. GET /items/{id}: an unknown id answers 404 {"message": …}, while the route declares
//      404 {"error": …} → a response that breaks its schema. Fixed: throw HTTPException(404).
// `covet fuzz examples/fuzz-target/app.ts` (or `…/app.ts:fixed`) runs the fuzzer on it.
import { CovetApp, HTTPException, type JSONSchemaObject, json } from 'covet';
import { z } from 'zod';

/** Options of `createApp`. */
export interface FuzzTargetOptions {
  /** Serve the corrected handlers and schemas. Default false (the planted bugs). */
  readonly fixed?: boolean;
}

interface Item {
  id: number;
  sku: string;
  name: string;
  price: number;
  tags: string[];
}

const ItemSchema: JSONSchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1 },
    sku: { type: 'string' },
    name: { type: 'string' },
    price: { type: 'number', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['id', 'sku', 'name', 'price', 'tags'],
  additionalProperties: false,
};

const ErrorSchema: JSONSchemaObject = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };

/** A 400 is a validation failure (`errors`) or a body that is not JSON at all (`error`). */
const BadRequestSchema: JSONSchemaObject = {
  type: 'object',
  properties: { error: { type: 'string' }, errors: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
  anyOf: [{ required: ['error'] }, { required: ['errors'] }],
};

/**
 * The inventory app; every call makes a fresh one with two items.
 *
 * @example
 * const report = await fuzz(createApp(), { seed: 1 }); // finds the three planted bugs
 */
export function createApp(options: FuzzTargetOptions = {}): CovetApp {
  const fixed = options.fixed ?? false;
  const app = new CovetApp({ logger: { info() {}, error() {} } });
  const items = new Map<number, Item>();
  let nextId = 1;
  const add = (name: string, price: number, tags: string[]): Item => {
    const prefix = name.trim()[0] as string; // bug 1 in the unfixed app: undefined for a blank name
    const item = { id: nextId, sku: `${prefix.toUpperCase()}-${String(nextId).padStart(4, '0')}`, name, price, tags };
    items.set(nextId++, item);
    return item;
  };
  add('Widget', 9.5, ['tools']);
  add('Gadget', 24, []);

  const NewItem = z.object({
    name: fixed ? z.string().trim().min(1).max(100) : z.string().max(100),
    price: z.number().min(0),
    tags: z.array(z.string().max(30)).max(10).optional(),
  });
  const Listing = z.object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    tag: z.string().max(30).optional(),
  });
  const Label = z.object({ width: fixed ? z.coerce.number().int().min(0).max(200) : z.coerce.number().int().max(200) });

  app.get('/items', { query: Listing, response: { type: 'array', items: ItemSchema } }, (req) => {
    const { limit = 20, tag } = req.query;
    return [...items.values()].filter((i) => tag === undefined || i.tags.includes(tag)).slice(0, limit);
  });

  app.post('/items', { body: NewItem, response: { 201: ItemSchema, 400: BadRequestSchema } }, async (req) => {
    const { name, price, tags = [] } = await req.json();
    return json(add(name, price, tags), 201);
  });

  app.get('/items/{id:int}', { response: { 200: ItemSchema, 404: ErrorSchema } }, (req) => {
    const item = items.get(req.params.id);
    if (item !== undefined) return item;
    if (fixed) throw new HTTPException(404, 'Item not found');
    return json({ message: 'Item not found' }, 404); // bug 3: the declared 404 body has "error"
  });

  app.get(
    '/items/{id:int}/label',
    { query: Label, response: { 200: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] } } },
    (req) => {
      const item = items.get(req.params.id);
      if (item === undefined) throw new HTTPException(404, 'Item not found');
      const { width } = req.query;
      // bug 2 in the unfixed app: a negative count is a RangeError
      return { label: `${item.name} ${'-'.repeat(Math.max(width - item.name.length, fixed ? 0 : width))}` };
    },
  );

  return app;
}

/** The app with the planted bugs, for `covet fuzz examples/fuzz-target/app.ts`. */
export const app = createApp();
/** The corrected app: `covet fuzz examples/fuzz-target/app.ts:fixed` finds nothing. */
export const fixed = createApp({ fixed: true });
