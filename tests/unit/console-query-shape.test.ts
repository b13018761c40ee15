import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NPlusOneDetector } from '../../src/console/n-plus-one.js';
import { queryShape } from '../../src/console/query-shape.js';

describe('queryShape', () => {
  it('replaces literals and every placeholder style with ?', () => {
    const shape = 'select * from posts where author_id = ?';
    assert.equal(queryShape('SELECT * FROM posts WHERE author_id = 7'), shape);
    assert.equal(queryShape('SELECT * FROM posts WHERE author_id = $1'), shape);
    assert.equal(queryShape('select *  from posts\n  where author_id = ?'), shape);
    assert.equal(queryShape('SELECT * FROM posts WHERE author_id = %s'), shape);
    assert.equal(queryShape('SELECT * FROM posts WHERE author_id = :id'), shape);
    assert.equal(queryShape("SELECT * FROM posts WHERE author_id = 'it''s'"), shape);
    assert.equal(queryShape('SELECT * FROM posts WHERE author_id = -1.5e3'), shape);
  });

  it('collapses IN lists and multi-row VALUES', () => {
    assert.equal(queryShape('SELECT * FROM t WHERE id IN (1, 2, 3)'), queryShape('SELECT * FROM t WHERE id IN ($1,$2)'));
    assert.equal(queryShape('INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)'), 'insert into t (a, b) values (?)');
  });

  it('keeps identifiers with digits, quoted names and casts', () => {
    assert.equal(queryShape('SELECT t1.a FROM t1 WHERE "Col2" = 3'), 'select t1.a from t1 where "col2" = ?');
    assert.equal(queryShape('SELECT x::text FROM t WHERE y = $2'), 'select x::text from t where y = ?');
  });

  it('drops comments, but not comment markers inside strings', () => {
    assert.equal(queryShape('SELECT 1 -- why\nFROM t /* hint */ WHERE a = 2'), 'select ? from t where a = ?');
    assert.equal(queryShape("SELECT * FROM t WHERE note = '-- not a comment' AND id = 4"), 'select * from t where note = ? and id = ?');
  });
});

describe('NPlusOneDetector', () => {
  it('flags a shape repeated at least `threshold` times, most repeated first', () => {
    const detector = new NPlusOneDetector(3);
    detector.add('SELECT * FROM users');
    for (let i = 1; i <= 10; i++) detector.add(`SELECT * FROM posts WHERE author_id = ${i}`);
    for (let i = 1; i <= 3; i++) detector.add('SELECT * FROM tags WHERE post_id = $1');
    detector.add('SELECT * FROM a WHERE id = 1');
    detector.add('SELECT * FROM a WHERE id = 2');
    assert.deepEqual(detector.findings(), [
      { shape: 'select * from posts where author_id = ?', count: 10 },
      { shape: 'select * from tags where post_id = ?', count: 3 },
    ]);
  });

  it('does not flag 1 + 1 queries (eager loading)', () => {
    const detector = new NPlusOneDetector(2);
    detector.add('SELECT * FROM users');
    detector.add('SELECT * FROM posts WHERE author_id IN (1, 2, 3, 4)');
    assert.deepEqual(detector.findings(), []);
  });

  it('refuses a threshold below 2', () => {
    assert.throws(() => new NPlusOneDetector(1), RangeError);
    assert.throws(() => new NPlusOneDetector(2.5), RangeError);
  });
});
