import { type ConverterName, parseRoutePath } from '../router/route-path.js';
import type { JSONSchemaObject, OpenAPIParameter } from './openapi-types.js';

/** The JSON Schema of each path converter (the router accepts unsigned decimals only). */
export const CONVERTER_SCHEMAS: Readonly<Record<ConverterName, JSONSchemaObject>> = {
  str: { type: 'string', pattern: '^[^/]+$' },
  int: { type: 'integer', minimum: 0 },
  float: { type: 'number', minimum: 0 },
  uuid: { type: 'string', format: 'uuid' },
  path: { type: 'string' },
};

/**
 * A Covet route path as an OpenAPI path template and its path parameters:
 * `/users/{id:int}` → `/users/{id}` with `id` an integer.
 *
 * @example
 * openAPIPath('/files/{rest:path}') // { template: '/files/{rest}', parameters: [{ name: 'rest', in: 'path', required: true, schema: { type: 'string' } }] }
 */
export function openAPIPath(path: string): { template: string; parameters: OpenAPIParameter[] } {
  let template = '';
  const parameters: OpenAPIParameter[] = [];
  for (const part of parseRoutePath(path)) {
    if (part.kind === 'static') {
      template += part.text;
      continue;
    }
    template += `{${part.name}}`;
    const parameter: OpenAPIParameter = { name: part.name, in: 'path', required: true, schema: { ...CONVERTER_SCHEMAS[part.converter] } };
    if (part.converter === 'path') parameter.description = 'The rest of the path; may contain "/"';
    parameters.push(parameter);
  }
  return { template, parameters };
}
