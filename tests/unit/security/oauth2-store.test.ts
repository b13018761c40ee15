import { describe } from 'node:test';
import { MemoryOAuth2Store } from '../../../src/security/index.js';
import { storeContract } from './oauth2-store-contract.js';

describe('MemoryOAuth2Store', () => {
  storeContract(() => new MemoryOAuth2Store());
});
