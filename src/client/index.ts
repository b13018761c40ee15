export { ClientError } from './client-error.js';
export type {
  CallInit,
  CallOptions,
  Client,
  ClientResponse,
  HeadersInit,
  QueryInit,
  QueryValue,
  RequestOptions,
  ResponseData,
  RouteCall,
} from './client-types.js';
export { type ClientOptions, createClient } from './create-client.js';
export type { JsonOf } from './json-of.js';
