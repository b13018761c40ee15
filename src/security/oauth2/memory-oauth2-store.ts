import type { AuthorizationCodeRecord, ConsumeResult, OAuth2ClientRecord, OAuth2Store, RefreshTokenRecord } from './oauth2-store.js';

interface Entry<R> {
  readonly record: R;
  used: boolean;
}

/**
 * `OAuth2Server` state in this process's memory: fine for one process and for tests, lost on
 * restart. Expired entries are swept as the maps grow. Clients can be added with `saveClient`.
 *
 * @example
 * const oauth2 = new OAuth2Server({ clients, store: new MemoryOAuth2Store() });
 */
export class MemoryOAuth2Store implements OAuth2Store {
  readonly #codes = new Map<string, Entry<AuthorizationCodeRecord>>();
  readonly #refresh = new Map<string, Entry<RefreshTokenRecord>>();
  /** jti → its family and expiry, and whether it was revoked by itself. */
  readonly #access = new Map<string, { familyId: string | null; expiresAt: number; revoked: boolean }>();
  readonly #revokedFamilies = new Map<string, number>();
  readonly #clients = new Map<string, OAuth2ClientRecord>();
  #sweepAt = 1024;

  async saveCode(record: AuthorizationCodeRecord): Promise<void> {
    this.#codes.set(record.codeHash, { record, used: false });
    this.#maybeSweep();
  }

  async consumeCode(codeHash: string): Promise<ConsumeResult<AuthorizationCodeRecord> | null> {
    return take(this.#codes.get(codeHash));
  }

  async saveRefreshToken(record: RefreshTokenRecord): Promise<void> {
    this.#refresh.set(record.tokenHash, { record, used: false });
    this.#maybeSweep();
  }

  async rotateRefreshToken(tokenHash: string): Promise<ConsumeResult<RefreshTokenRecord> | null> {
    return take(this.#refresh.get(tokenHash));
  }

  async findRefreshToken(tokenHash: string): Promise<ConsumeResult<RefreshTokenRecord> | null> {
    const entry = this.#refresh.get(tokenHash);
    return entry === undefined ? null : { record: entry.record, reused: entry.used };
  }

  async recordAccessToken(jti: string, familyId: string | null, expiresAt: number): Promise<void> {
    const existing = this.#access.get(jti);
    this.#access.set(jti, { familyId, expiresAt, revoked: existing?.revoked ?? false });
    this.#maybeSweep();
  }

  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    const existing = this.#access.get(jti);
    if (existing === undefined) this.#access.set(jti, { familyId: null, expiresAt, revoked: true });
    else existing.revoked = true;
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    return this.isAccessTokenRevokedSync(jti);
  }

  /** `isAccessTokenRevoked` without a promise: `OAuth2Server.jwtAuth` checks tokens synchronously with it. */
  isAccessTokenRevokedSync(jti: string): boolean {
    const entry = this.#access.get(jti);
    if (entry === undefined) return false;
    return entry.revoked || (entry.familyId !== null && this.#familyRevoked(entry.familyId));
  }

  async revokeFamily(familyId: string, expiresAt: number): Promise<void> {
    this.#revokedFamilies.set(familyId, Math.max(expiresAt, this.#revokedFamilies.get(familyId) ?? 0));
  }

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    return this.#familyRevoked(familyId);
  }

  #familyRevoked(familyId: string): boolean {
    const until = this.#revokedFamilies.get(familyId);
    return until !== undefined && until > Date.now();
  }

  /** Registers a client (its secret already hashed: see `OAuth2Server.hashSecret`). */
  async saveClient(client: OAuth2ClientRecord): Promise<void> {
    this.#clients.set(client.id, client);
  }

  async getClient(clientId: string): Promise<OAuth2ClientRecord | null> {
    return this.#clients.get(clientId) ?? null;
  }

  async deleteExpired(): Promise<number> {
    return this.#sweep();
  }

  #sweep(): number {
    const now = Date.now();
    let removed = 0;
    for (const map of [this.#codes, this.#refresh] as Map<string, Entry<{ expiresAt: number }>>[]) {
      for (const [key, entry] of map) if (entry.record.expiresAt <= now) removed += Number(map.delete(key));
    }
    for (const [key, entry] of this.#access) if (entry.expiresAt <= now) removed += Number(this.#access.delete(key));
    for (const [key, until] of this.#revokedFamilies) if (until <= now) removed += Number(this.#revokedFamilies.delete(key));
    return removed;
  }

  #maybeSweep(): void {
    const size = this.#codes.size + this.#refresh.size + this.#access.size;
    if (size < this.#sweepAt) return;
    this.#sweep();
    this.#sweepAt = Math.max(1024, (this.#codes.size + this.#refresh.size + this.#access.size) * 2);
  }
}

/** Marks an entry used; the check and the mark happen in one synchronous step (atomic here). */
function take<R>(entry: Entry<R> | undefined): ConsumeResult<R> | null {
  if (entry === undefined) return null;
  const reused = entry.used;
  entry.used = true;
  return { record: entry.record, reused };
}
