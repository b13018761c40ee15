export { Router, type RouteEntry } from './router.js';
export type { RouteMatch } from './radix-tree.js';
export { decodeRoutingPath, displayPath } from './decode-path.js';
export { CONVERTERS, type ConverterName, parseRoutePath } from './route-path.js';
