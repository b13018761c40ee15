// The expected strings are what Python's `%f`, `%e` and `%g` print (digits only: the sign is the caller's).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exponentDigits, fixedDigits, generalDigits } from '../../../src/templates/float-format.js';

describe('float formatting', () => {
  it('rounds the exact binary value, ties to even', () => {
    assert.deepEqual([fixedDigits(9.995, 2), fixedDigits(0.125, 2), fixedDigits(2.5, 0), fixedDigits(1e-300, 2)], ['9.99', '0.12', '2', '0.00']);
    assert.deepEqual([exponentDigits(9.96, 1), exponentDigits(2.5, 0), exponentDigits(0, 6)], ['1.0e+01', '2e+00', '0.000000e+00']);
  });

  it('writes the extremes of a double', () => {
    assert.equal(exponentDigits(5e-324, 6), '4.940656e-324');
    assert.equal(generalDigits(1.7976931348623157e308, 6), '1.79769e+308');
    assert.equal(fixedDigits(1e22, 0), '10000000000000000000000');
  });

  it('%g picks fixed or exponent form by magnitude and drops trailing zeros unless asked', () => {
    assert.deepEqual(
      [generalDigits(9.9999999, 6), generalDigits(0.0009995, 3), generalDigits(123456789, 6), generalDigits(0.1, 15), generalDigits(0.1, 17), generalDigits(1, 6, false, true)],
      ['10', '0.000999', '1.23457e+08', '0.1', '0.10000000000000001', '1.00000'],
    );
  });

  it('writes nan and inf in the case asked', () => {
    assert.deepEqual([fixedDigits(Number.NaN, 2), exponentDigits(Infinity, 2, true), generalDigits(-Infinity, 6)], ['nan', 'INF', 'inf']);
  });
});
