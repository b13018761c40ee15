export type { FilterEnvironment, FilterFunction, FilterSpec, TestFunction } from './builtin-filters.js';
export { MAX_RANGE } from './builtin-globals.js';
export { strftime } from './date-format.js';
export { escapeHtml, Markup } from './markup.js';
export { LoopContext } from './loop-context.js';
export { Macro } from './macro.js';
export { Namespace } from './namespace.js';
export {
  type AddFilterOptions,
  type RenderInit,
  type RenderStringOptions,
  TemplateEngine,
  type TemplateEngineOptions,
} from './template-engine.js';
export { TEMPLATE_ERROR_CODES, TemplateError, type TemplateErrorCode, type TemplateErrorLocation } from './template-error.js';
export { normalizeTemplateName } from './template-loader.js';
