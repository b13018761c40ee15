export { decodeRoutingPath, displayPath } from './decode-path.js';
export type { RouteMatch } from './radix-tree.js';
export { CONVERTERS, type ConverterName, parseRoutePath } from './route-path.js';
export { type RouteEntry, Router } from './router.js';
