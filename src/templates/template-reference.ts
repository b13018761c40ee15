// `self` in a template: `{{ self.title() }}` renders block `title` again (its most derived
// version, as `{% block title %}` would), for example to repeat a page title in a heading.
import { Markup } from './markup.js';
import { pyStringRepr } from './python-repr.js';
import { type BlockTable, type Context, enter, leave, type RenderState } from './render-state.js';

function render(b: BlockTable, name: string, c: Context, s: RenderState, safe: boolean): unknown {
  const fn = b[name]?.[0];
  if (fn === undefined) return '';
  enter(s, `self.${name}()`);
  let out = '';
  try {
    const r = fn(c, s, b, 0);
    if (typeof r === 'string') out = r;
    else for (const chunk of r) out += chunk;
  } finally {
    leave(s);
  }
  return safe ? new Markup(out) : out;
}

/**
 * What `self` is in a template: one method per block of the render, each returning the
 * block's output (`Markup` when the template autoescapes, as block output is already escaped).
 *
 * @example
 * templates.renderString('{% block title %}Home{% endblock %} | {{ self.title() }}') // 'Home | Home'
 */
export class TemplateReference {
  readonly #name: string;

  constructor(name: string, b: BlockTable, c: Context, s: RenderState, safe: boolean) {
    this.#name = name;
    const self = this as unknown as Record<string, () => unknown>;
    for (const block of Object.keys(b)) self[block] = () => render(b, block, c, s, safe);
  }

  toString(): string {
    return `<TemplateReference ${pyStringRepr(this.#name)}>`;
  }
}

/** `self`, as the compiled templates read it. */
export function templateReference(b: BlockTable, c: Context, s: RenderState, name: string, safe: boolean): TemplateReference {
  return new TemplateReference(name, b, c, s, safe);
}
