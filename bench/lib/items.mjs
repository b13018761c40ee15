// What GET /items returns in the cluster and monitoring benchmarks, for Covet and Fastify alike:
// a page of 20 records, each copied with a computed field, as an API's list endpoint would
// (about 1.6 KB of JSON).
const records = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}`, price: i * 1.25, tags: ['a', 'b'], active: i % 2 === 0 }));

export function itemsPage() {
  return records.map((r) => ({ ...r, total: r.price * 2 }));
}
