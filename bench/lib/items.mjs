// What GET /items returns in the cluster and monitoring benchmarks, for Covet and Fastify alike:
// a page of 20 records, each copied into a new object with a computed field, as an API's list
// endpoint would (about 1.6 KB of JSON). The copy names its fields: `{ ...r, total }` made
// single runs of this route vary by half, with V8 migrating object shapes.
const records = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.25, tags: ['a', 'b'], active: i % 2 === 0 }));

export function itemsPage() {
  return records.map((r) => ({ id: r.id, name: r.name, price: r.price, tags: r.tags, active: r.active, total: r.price * 2 }));
}
