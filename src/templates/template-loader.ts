import { readFileSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { TemplateError } from './template-error.js';

/** A template's source and where it came from. */
export interface TemplateSource {
  readonly name: string;
  readonly source: string;
  /** The file it was read from; null for in-memory templates. */
  readonly path: string | null;
  readonly mtimeMs: number;
  readonly size: number;
}

/**
 * A template name made safe to join to a folder: `/`-separated segments, none of them `..`,
 * not absolute, no backslashes or NUL. Throws `TemplateError` (`ERR_TEMPLATE_NAME`) otherwise.
 *
 * @example
 * normalizeTemplateName('./emails//welcome.html') // 'emails/welcome.html'
 * normalizeTemplateName('../secrets.txt')         // throws ERR_TEMPLATE_NAME
 */
export function normalizeTemplateName(name: string): string {
  const bad = (why: string): never => {
    throw new TemplateError(`invalid template name ${JSON.stringify(name.slice(0, 200))}: ${why}`, { code: 'ERR_TEMPLATE_NAME' });
  };
  if (name === '') bad('empty');
  if (name.length > 1024) bad('longer than 1024 characters');
  if (name.includes('\0')) bad('contains a NUL byte');
  if (name.includes('\\')) bad('contains a backslash (use /)');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) bad('absolute paths are not allowed');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) bad("'..' is not allowed");
  if (parts.length === 0) bad('empty');
  return parts.join('/');
}

/** Finds templates by name in memory, then in folders, never outside them. */
export class TemplateLoader {
  readonly directories: readonly string[];
  readonly #memory: ReadonlyMap<string, string>;

  constructor(directories: readonly string[], templates: Readonly<Record<string, string>> | undefined) {
    this.directories = directories.map((d) => resolve(d));
    const memory = new Map<string, string>();
    if (templates !== undefined) for (const [name, source] of Object.entries(templates)) memory.set(normalizeTemplateName(name), source);
    this.#memory = memory;
  }

  /** The template's source, or null when no folder has it. Throws on an unsafe name. */
  load(name: string): TemplateSource | null {
    const normal = normalizeTemplateName(name);
    const mem = this.#memory.get(normal);
    if (mem !== undefined) return { name: normal, source: mem, path: null, mtimeMs: 0, size: mem.length };
    for (const dir of this.directories) {
      const path = resolve(dir, normal);
      // normalizeTemplateName already refuses '..'; this is the second lock on the same door.
      if (!path.startsWith(dir + sep)) continue;
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st === undefined || !st.isFile()) continue;
      return { name: normal, source: readFileSync(path, 'utf8'), path, mtimeMs: st.mtimeMs, size: st.size };
    }
    return null;
  }

  /** Whether a file read earlier has changed (or gone) since. */
  changed(src: TemplateSource): boolean {
    if (src.path === null) return false;
    try {
      const st = statSync(src.path);
      return st.mtimeMs !== src.mtimeMs || st.size !== src.size;
    } catch {
      return true;
    }
  }

  describe(): string {
    const where = this.directories.map((d) => JSON.stringify(d));
    if (this.#memory.size > 0) where.unshift('the in-memory templates');
    return where.join(', ');
  }
}
