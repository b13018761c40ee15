import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashPassword, MAX_PASSWORD_BYTES, passwordNeedsRehash, verifyPassword } from '../../../src/security/index.js';

const FAST = { cost: 1024, blockSize: 8, parallelization: 1 };

describe('hashPassword / verifyPassword', () => {
  it('hashes with scrypt and a random salt as scrypt$N$r$p$salt$hash, and verifies', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const m = /^scrypt\$16384\$8\$1\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/.exec(stored);
    assert.ok(m, stored);
    // The hash is scrypt's own, checked against node:crypto directly.
    const expected = scryptSync('correct horse battery staple', Buffer.from(m[1] as string, 'base64url'), 32, { N: 16384, r: 8, p: 1 });
    assert.equal(m[2], expected.toString('base64url'));
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
    assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
    assert.equal(await verifyPassword('', stored), false);
    assert.notEqual(await hashPassword('correct horse battery staple'), stored, 'a fresh salt each time');
  });

  it('keeps its parameters in the hash, so hashes made with other costs still verify', async () => {
    const cheap = await hashPassword('pw', FAST);
    assert.match(cheap, /^scrypt\$1024\$8\$1\$/);
    assert.equal(await verifyPassword('pw', cheap), true);
    assert.equal(passwordNeedsRehash(cheap), true);
    assert.equal(passwordNeedsRehash(cheap, FAST), false);
    assert.equal(passwordNeedsRehash(await hashPassword('pw')), false);
    assert.equal(passwordNeedsRehash('pbkdf2_sha256$600000$x$y'), true);
    const unicode = await hashPassword('pässwörd 🔑', FAST);
    assert.equal(await verifyPassword('pässwörd 🔑', unicode), true);
    assert.equal(await verifyPassword('passwörd 🔑', unicode), false);
  });

  it('answers false for malformed, foreign or tampered hashes, and for costs it would not have written', async () => {
    const good = await hashPassword('pw', FAST);
    const parts = good.split('$');
    const tampered = [...parts.slice(0, 5), `${parts[5]?.[0] === 'A' ? 'B' : 'A'}${parts[5]?.slice(1)}`].join('$');
    for (const bad of [
      '',
      'pw',
      'scrypt$',
      tampered,
      good.replace('scrypt$', 'bcrypt$'),
      good.replace('$1024$', '$1000$'), // not a power of two
      good.replace('$1024$', '$2147483648$'), // a stored hash must not choose a huge cost
      good.replace('$8$1$', '$64$1$'),
      `${good}$extra`,
      '$2b$12$KIXQJ9wqJ0hZ0Z8y1Yl9xO7m6b8nq0Kq3y5b7r1sE6a8F0dX2cV4e', // bcrypt
      null as unknown as string,
    ]) {
      assert.equal(await verifyPassword('pw', bad), false, String(bad));
    }
  });

  it('refuses what is not a password, and passwords over MAX_PASSWORD_BYTES, before any work', async () => {
    for (const bad of [undefined, null, 42, { toString: () => 'pw' }]) {
      await assert.rejects(hashPassword(bad as unknown as string), { name: 'TypeError', message: /^A password must be a string, got / });
      await assert.rejects(verifyPassword(bad as unknown as string, 'scrypt$x'), { name: 'TypeError' });
    }
    const long = 'x'.repeat(MAX_PASSWORD_BYTES + 1);
    await assert.rejects(hashPassword(long), { name: 'RangeError', message: 'A password may be at most 4096 bytes' });
    await assert.rejects(verifyPassword(long, await hashPassword('pw', FAST)), { name: 'RangeError' });
    assert.equal(await verifyPassword('x'.repeat(MAX_PASSWORD_BYTES), await hashPassword('x'.repeat(MAX_PASSWORD_BYTES), FAST)), true);
    await assert.rejects(hashPassword('pw', { cost: 1000 }), { name: 'RangeError', message: 'hashPassword: cost must be a power of two from 1024 to 1048576' });
    await assert.rejects(hashPassword('pw', { blockSize: 0 }), { name: 'RangeError', message: 'hashPassword: blockSize must be an integer from 1 to 32' });
    await assert.rejects(hashPassword('pw', { parallelization: 17 }), { name: 'RangeError' });
  });

  it('runs off the event loop: timers keep firing while a hash is computed', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await Promise.all([hashPassword('a'), hashPassword('b')]);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0);
  });
});
