import { CovetError, HTTPException } from '../errors.js';
import { markGuard } from '../internal/handler-guard.js';
import { annotateOpenAPI } from '../internal/openapi-meta.js';
import type { Request } from '../request.js';
import type { Response } from '../response.js';
import type { CallNext, MiddlewareFunction } from '../types.js';
import type { AnyRequest, GuardedHandler, WrappedHandler } from './auth-types.js';

/** Options of `addRole`. */
export interface RoleOptions {
  /** Permissions of the role. `*` grants all; `posts:*` grants every `posts:…` permission. */
  readonly permissions?: readonly string[];
  /** Roles whose permissions this role has too (they must be added first). */
  readonly inherits?: readonly string[];
}

/** The user shape RBAC reads: `roles` (array) or `role` (string). */
export interface RoleBearer {
  readonly roles?: readonly string[];
  readonly role?: string;
}

/** No user on the request (`requireToken` did not run, or let it through): 401. */
function unauthenticated(): HTTPException {
  return new HTTPException(401, 'Authentication required', { code: 'ERR_RBAC_UNAUTHENTICATED', headers: { 'www-authenticate': 'Bearer' } });
}

function forbidden(): HTTPException {
  return new HTTPException(403, 'Permission denied', { code: 'ERR_RBAC_FORBIDDEN' });
}

/** The roles of `req.state.user`, or `null` when there is no user. */
function rolesOf(user: unknown): readonly string[] | null {
  if (typeof user !== 'object' || user === null) return null;
  const { roles, role } = user as { roles?: unknown; role?: unknown };
  const out: string[] = [];
  if (Array.isArray(roles)) for (const r of roles) if (typeof r === 'string') out.push(r);
  if (typeof role === 'string') out.push(role);
  return out;
}

function asList(value: string | readonly string[], what: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : [...value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) throw new TypeError(`${what} must be a non-empty string or list of strings`);
  return list;
}

/**
 * Role-based access control: roles with permissions and inheritance, and wrappers that read
 * the roles of `req.state.user` (`roles` array or `role` string, as `requireToken` puts
 * them there). No user → 401; a user without the permission or role → 403.
 *
 * @example
 * const rbac = new RoleBasedAccessControl();
 * rbac.addRole('user', { permissions: ['read'] });
 * rbac.addRole('admin', { permissions: ['write', 'delete'], inherits: ['user'] });
 * app.delete('/admin/users/{id:int}', jwtAuth.requireToken(rbac.requirePermission('delete', async (req) => ({ deleted: req.params.id }))));
 */
export class RoleBasedAccessControl {
  readonly #roles = new Map<string, { readonly permissions: readonly string[]; readonly inherits: readonly string[] }>();
  /** Resolved permission sets, rebuilt when a role changes. */
  #resolved = new Map<string, ReadonlySet<string>>();
  /** Every permission some role lists, rebuilt when a role changes (`null`: not built yet). */
  #declared: ReadonlySet<string> | null = null;

  /** Adds (or redefines) a role. Returns `this` for chaining. */
  addRole(name: string, options: RoleOptions | readonly string[] = {}): this {
    if (typeof name !== 'string' || name === '') throw new TypeError('A role needs a non-empty name');
    const opts: RoleOptions = Array.isArray(options) ? { permissions: options as readonly string[] } : (options as RoleOptions);
    const inherits = [...(opts.inherits ?? [])];
    for (const parent of inherits) {
      if (!this.#roles.has(parent)) throw new CovetError(`Role "${name}" inherits "${parent}", which is not defined (add it first)`, { code: 'ERR_RBAC_UNKNOWN_ROLE' });
    }
    this.#roles.set(name, { permissions: [...(opts.permissions ?? [])], inherits });
    this.#resolved = new Map();
    this.#declared = null;
    return this;
  }

  /** Whether a role is defined. */
  hasRole(name: string): boolean {
    return this.#roles.has(name);
  }

  /** Every permission of a role, inherited ones included (empty for an unknown role). */
  permissionsOf(role: string): ReadonlySet<string> {
    let set = this.#resolved.get(role);
    if (set === undefined) {
      const out = new Set<string>();
      // Iterative walk with a visited set: a redefinition cannot make it loop.
      const visited = new Set<string>();
      const stack = [role];
      while (stack.length > 0) {
        const current = stack.pop() as string;
        if (visited.has(current)) continue;
        visited.add(current);
        const def = this.#roles.get(current);
        if (def === undefined) continue;
        for (const p of def.permissions) out.add(p);
        stack.push(...def.inherits);
      }
      set = out;
      this.#resolved.set(role, set);
    }
    return set;
  }

  /** The role and every role it inherits from. */
  rolesOf(role: string): ReadonlySet<string> {
    const visited = new Set<string>();
    const stack = [role];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      if (visited.has(current) || !this.#roles.has(current)) continue;
      visited.add(current);
      stack.push(...(this.#roles.get(current)?.inherits ?? []));
    }
    return visited;
  }

  /** Whether any of `roles` grants `permission` (directly, inherited, or through a wildcard). */
  hasPermission(roles: string | readonly string[], permission: string): boolean {
    for (const role of typeof roles === 'string' ? [roles] : roles) {
      const granted = this.permissionsOf(role);
      if (granted.has(permission) || granted.has('*')) return true;
      for (let i = permission.indexOf(':'); i !== -1; i = permission.indexOf(':', i + 1)) {
        if (granted.has(`${permission.slice(0, i)}:*`)) return true;
      }
    }
    return false;
  }

  /**
   * Whether `name`, asked for as a permission, means a role: it is a defined role and no role
   * lists it as a permission (the seed's `addRole('admin', …)` then `requirePermission('admin')`).
   */
  isRoleOnly(name: string): boolean {
    if (!this.#roles.has(name)) return false;
    if (this.#declared === null) {
      const declared = new Set<string>();
      for (const def of this.#roles.values()) for (const p of def.permissions) declared.add(p);
      this.#declared = declared;
    }
    return !this.#declared.has(name);
  }

  /** Whether any of `roles` is `role` or inherits it. */
  hasRoleOrInherits(roles: string | readonly string[], role: string): boolean {
    for (const r of typeof roles === 'string' ? [roles] : roles) if (this.rolesOf(r).has(role)) return true;
    return false;
  }

  #guard(check: (roles: readonly string[]) => boolean): (req: AnyRequest) => void {
    return (req) => {
      const roles = rolesOf(req.state.user);
      if (roles === null) throw unauthenticated();
      if (!check(roles)) throw forbidden();
    };
  }

  /**
   * Lets the handler run only for a user whose roles grant `permission` (all of them, for a
   * list). Without a handler it returns the check as middleware. A name that is a defined role
   * and not a permission of any role is checked as that role (as `requireRole` does): the
   * seed's `requirePermission('admin')` admits users holding the `admin` role (or a role
   * inheriting it). Roles are looked up per request, so roles added later count.
   *
   * @example
   * app.get('/reports', jwtAuth.requireToken(rbac.requirePermission('reports:read', listReports)));
   * app.routeGroup('/admin', { middleware: [jwtAuth.requireToken(), rbac.requirePermission('admin')] });
   */
  requirePermission(permission: string | readonly string[]): MiddlewareFunction;
  requirePermission<R extends AnyRequest, D, U = unknown>(permission: string | readonly string[], handler: GuardedHandler<R, D, U>): WrappedHandler<R, D>;
  requirePermission<R extends AnyRequest, D, U>(
    permission: string | readonly string[],
    handler?: GuardedHandler<R, D, U>,
  ): MiddlewareFunction | WrappedHandler<R, D> {
    const needed = asList(permission, 'permission');
    const guard = this.#guard((roles) =>
      needed.every((p) => this.hasPermission(roles, p) || (this.isRoleOnly(p) && this.hasRoleOrInherits(roles, p))),
    );
    return wrap('requirePermission', guard, handler);
  }

  /**
   * Lets the handler run only for a user who has `role` (or a role inheriting it; any of
   * them, for a list). Without a handler it returns the check as middleware.
   *
   * @example
   * app.get('/admin/users', jwtAuth.requireToken(rbac.requireRole('admin', async () => ({ users: 'admin data' }))));
   */
  requireRole(role: string | readonly string[]): MiddlewareFunction;
  requireRole<R extends AnyRequest, D, U = unknown>(role: string | readonly string[], handler: GuardedHandler<R, D, U>): WrappedHandler<R, D>;
  requireRole<R extends AnyRequest, D, U>(role: string | readonly string[], handler?: GuardedHandler<R, D, U>): MiddlewareFunction | WrappedHandler<R, D> {
    const wanted = asList(role, 'role');
    const guard = this.#guard((roles) => wanted.some((r) => this.hasRoleOrInherits(roles, r)));
    return wrap('requireRole', guard, handler);
  }
}

function wrap<R extends AnyRequest, D, U>(
  name: 'requirePermission' | 'requireRole',
  guard: (req: AnyRequest) => void,
  handler: GuardedHandler<R, D, U> | undefined,
): MiddlewareFunction | WrappedHandler<R, D> {
  if (handler === undefined) {
    const named = {
      [name]: async (req: Request, callNext: CallNext): Promise<Response> => {
        guard(req);
        return callNext();
      },
    };
    return annotateOpenAPI(named[name] as MiddlewareFunction, { responses: { '403': 'Missing permission or role' } });
  }
  if (typeof handler !== 'function') throw new TypeError(`${name}(…, handler) needs a handler function`);
  const named = {
    [name]: (req: R, deps: D): unknown => {
      guard(req);
      return handler(req as Parameters<typeof handler>[0], deps);
    },
  };
  // Keeps what an inner wrapper (`requireToken`) told the OpenAPI document, and adds the 403.
  const wrapper = annotateOpenAPI(named[name] as WrappedHandler<R, D>, { responses: { '403': 'Missing permission or role' } }, handler);
  return markGuard(wrapper, guard, handler);
}
