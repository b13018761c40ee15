import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CovetApp } from '../../../src/index.js';
import { escapeHtml, InputValidator, type SQLInjectionFinding, SQLInjectionProtector, XSSProtector } from '../../../src/security/index.js';
import { TestClient } from '../../../src/testing/index.js';

function within<T>(ms: number, fn: () => T): T {
  const start = performance.now();
  const out = fn();
  const took = performance.now() - start;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms (limit ${ms} ms)`);
  return out;
}

describe('XSSProtector', () => {
  const xss = new XSSProtector();

  it('escapes text', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&\`</a>`), '&lt;a href=&quot;x&quot; onclick=&#x27;y&#x27;&gt;&amp;&#x60;&lt;/a&gt;');
    assert.equal(xss.escape('Tom & Jerry'), 'Tom &amp; Jerry');
  });

  it('keeps allowed tags and attributes, drops the rest', () => {
    assert.equal(xss.sanitizeHtml('<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>'), '<p>Hi <b>there</b></p>');
    assert.equal(xss.sanitizeHtml('<a href="https://example.com" title="t" target="_blank" style="x">link</a>'), '<a href="https://example.com" title="t" rel="noopener noreferrer nofollow">link</a>');
    assert.equal(xss.sanitizeHtml('<div class="x"><em>keep</em> text</div>'), '<em>keep</em> text');
    assert.equal(xss.sanitizeHtml('a < b && c > d'), 'a &lt; b &amp;&amp; c &gt; d');
    assert.equal(xss.sanitizeHtml('Tom &amp; Jerry &lt;3 &#169; &unknown;'), 'Tom &amp; Jerry &lt;3 © &amp;unknown;');
    assert.equal(xss.sanitizeHtml('<ul><li>one<li>two</ul>'), '<ul><li>one<li>two</li></li></ul>');
    assert.equal(xss.sanitizeHtml('<b><i>unclosed'), '<b><i>unclosed</i></b>');
    assert.equal(xss.sanitizeHtml('</b>stray'), 'stray');
    assert.equal(xss.sanitizeHtml('line<br/>break<hr>'), 'line<br>break<hr>');
  });

  it('neutralises the classic payloads', () => {
    const payloads: [string, string][] = [
      ['<img src=x onerror=alert(1)>', ''],
      ['<svg onload=alert(1)><circle/></svg>after', 'after'],
      ['<a href="javascript:alert(1)">x</a>', '<a>x</a>'],
      ['<a href="JaVaScRiPt:alert(1)">x</a>', '<a>x</a>'],
      ['<a href=" java\tscript:alert(1)">x</a>', '<a>x</a>'],
      ['<a href="&#106;avascript:alert(1)">x</a>', '<a>x</a>'],
      ['<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>', '<a>x</a>'],
      ['<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', '<a>x</a>'],
      ['<a href="vbscript:msgbox(1)">x</a>', '<a>x</a>'],
      ['<a href="/relative?a=1&b=2">x</a>', '<a href="/relative?a=1&amp;b=2" rel="noopener noreferrer nofollow">x</a>'],
      ['<a href="javascript&amp;colon;alert(1)">x</a>', '<a href="javascript&amp;colon;alert(1)" rel="noopener noreferrer nofollow">x</a>'],
      ['<scr<script>ipt>alert(1)</script>', 'ipt&gt;alert(1)'],
      ['<script>alert(1)</script >x', 'x'],
      ['<SCRIPT SRC=//evil/x.js></SCRIPT>', ''],
      ['<style>body{background:url(javascript:x)}</style>ok', 'ok'],
      ['<iframe src="https://evil"></iframe>', ''],
      ['<textarea><script>alert(1)</script></textarea>', ''],
      ['<!--<script>alert(1)</script>-->', ''],
      ['<![CDATA[<script>alert(1)</script>]]>', 'alert(1)]]&gt;'],
      ['<b title="a" title="b">x</b>', '<b>x</b>'],
      ['<abbr title="&quot; onmouseover=&quot;alert(1)">x</abbr>', '<abbr title="&quot; onmouseover=&quot;alert(1)">x</abbr>'],
      ['<a href="x" onmouseover="alert(1)"', ''],
      ['<p>"quotes" and \'single\' and `tick`</p>', '<p>&quot;quotes&quot; and &#x27;single&#x27; and &#x60;tick&#x60;</p>'],
      ['<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ''],
      ['<form action="javascript:alert(1)"><button>x</button></form>', 'x'],
      ['<script>never closed', ''],
    ];
    for (const [input, expected] of payloads) assert.equal(xss.sanitizeHtml(input), expected, input);
  });

  it('takes its allow-lists from options, and never allows script-like elements or handlers', () => {
    const custom = new XSSProtector({ allowedTags: ['img', 'p'], allowedAttributes: { img: ['src', 'alt', 'onerror', 'style'] }, allowedSchemes: ['https'] });
    assert.equal(custom.sanitizeHtml('<img src="https://x/y.png" alt="a" onerror="e()" style="s"><b>b</b>'), '<img src="https://x/y.png" alt="a">b');
    assert.equal(custom.sanitizeHtml('<img src="http://x/y.png">'), '<img>');
    assert.throws(() => new XSSProtector({ allowedTags: ['script'] }), { code: 'ERR_XSS_OPTIONS' });
  });

  it('sanitizes every string of a data structure, keys included (seed: xss_protector.sanitize)', () => {
    const data = { name: 'Ann <script>x</script>', tags: ['<b>ok</b>', 1, null], nested: { '<i>k</i>': '<a href="javascript:x">y</a>' } };
    assert.deepEqual(xss.sanitize(data), { name: 'Ann ', tags: ['<b>ok</b>', 1, null], nested: { '<i>k</i>': '<a>y</a>' } });
    assert.deepEqual(new XSSProtector({ mode: 'escape' }).sanitize({ a: '<b>' }), { a: '&lt;b&gt;' });
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    assert.throws(() => xss.sanitize(deep), { code: 'ERR_XSS_TOO_DEEP' });
  });

  it('detects typical payloads', () => {
    for (const bad of ['<script>', '</SCRIPT>', '<img onerror =x>', 'javascript:alert(1)', 'JAVASCRIPT :x', 'data: text/html,', 'expression(', '&#60;script', '<svg/onload=x>']) {
      assert.ok(xss.containsXSS(bad), bad);
    }
    for (const ok of ['hello', 'a < b', 'one=1', 'JavaScript is a language', 'ontology = study']) assert.ok(!xss.containsXSS(ok), ok);
  });

  it('detects schemes hidden behind character references, tabs and line breaks', () => {
    for (const bad of [
      '<a href="&#106;avascript:alert(1)">x</a>',
      '<a href="jav&#x09;ascript:alert(1)">x</a>',
      '<a href="jav&#x0A;ascript:alert(1)">x</a>',
      '<a href="javascript&colon;alert(1)">x</a>',
      'java\tscript:alert(1)',
      'java\u0000script:alert(1)',
      '&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)',
    ]) {
      assert.ok(xss.containsXSS(bad), bad);
      assert.ok(!xss.sanitizeHtml(bad).includes('href'), bad);
    }
    for (const ok of ['Tom &amp; Jerry', 'caf&eacute;', 'line one\nline two', 'AT&T']) assert.ok(!xss.containsXSS(ok), ok);
  });

  it('stays linear on adversarial markup', () => {
    const n = 100_000;
    const attacks = [
      '<'.repeat(n),
      '<a'.repeat(n),
      '<a href="'.repeat(n / 10),
      '<script>'.repeat(n / 8),
      '<b>'.repeat(n / 3) + '</i>'.repeat(n / 4),
      '<!--'.repeat(n / 4),
      '&#'.repeat(n),
      `<a ${'x='.repeat(n / 2)}>`,
      `<p ${' '.repeat(n)}`,
      '</'.repeat(n),
      'on'.repeat(n),
      `<${' '.repeat(n)}script`,
    ];
    within(3000, () => {
      for (const s of attacks) {
        xss.sanitizeHtml(s);
        xss.containsXSS(s);
      }
    });
  });
});

describe('SQLInjectionProtector', () => {
  it('detects common injection shapes and names them', () => {
    const sql = new SQLInjectionProtector();
    const cases: [string, string][] = [
      ["' OR '1'='1", 'tautology'],
      ['" or ""="', 'tautology'],
      ["admin' --", 'comment-after-quote'],
      ["x') /*", 'comment-after-quote'],
      ['1 OR 1=1', 'numeric-tautology'],
      ["1 UNION SELECT password FROM users", 'union-select'],
      ['1 union/**/all/**/select 1', 'union-select'],
      ['1; DROP TABLE users', 'stacked-query'],
      ["1' AND sleep(5)", 'time-based'],
      ["1; WAITFOR DELAY '0:0:5'", 'time-based'],
      ['SELECT * FROM information_schema.tables', 'system-objects'],
      ["' INTO OUTFILE '/tmp/x", 'file-access'],
    ];
    for (const [input, pattern] of cases) assert.ok(sql.detect(input).includes(pattern), `${input} → ${sql.detect(input)}`);
    const more: [string, string][] = [
      ['1; delete from users', 'stacked-query'],
      ['1;update users set admin=1', 'stacked-query'],
      ['1; insert into admins values (1)', 'stacked-query'],
      ['1; truncate users', 'stacked-query'],
      ["1; exec xp_cmdshell 'dir'", 'stacked-query'],
      ["1; EXEC('sel' + 'ect 1')", 'stacked-query'],
      ['1; shutdown --', 'stacked-query'],
      ['1; grant all on users to public', 'stacked-query'],
      ['1; declare @a int', 'stacked-query'],
      ["1') -- ", 'comment-after-quote'],
      ['x" #', 'comment-after-quote'],
      ["admin'#", 'comment-after-quote'],
      ["admin' # x", 'comment-after-quote'],
      ['1)/**/or/**/1=1', 'comment-after-quote'],
      ['1 and sleep((select 5))', 'time-based'],
      ['1 AND SLEEP(2.5)', 'time-based'],
      ['benchmark(1000000, md5(1))', 'time-based'],
      ['1; select pg_sleep(5)', 'time-based'],
      ["x' or name like '%", 'tautology'],
      ["' or 2>1", 'tautology'],
      ["1' and user > 'a", 'tautology'],
      ["' or x is not null --", 'tautology'],
    ];
    for (const [input, pattern] of more) assert.ok(sql.detect(input).includes(pattern), `${input} → ${sql.detect(input)}`);
    // Prose in a free-text field (the seed's `description`) is not an attack.
    const prose = [
      'I love it (really) #blessed',
      'He said "hi" -- then left',
      "It's John's (mine) -- ok",
      'Price (USD) #1 seller',
      'Moved house; update my address please',
      'Great app; delete button is hard to find',
      'Read chapter 3; create a summary',
      'Meeting at 10; execute plan B',
      'Tom & Jerry; drop by later',
      'Sleep (8h) is important',
      'The benchmark (2024) results',
      '(see above) and this is great',
      "Loved the 'finale' #tv",
      '"Tom" and Jerry is here',
      '(Canada) or something like that',
      'The "best" or worst > average',
    ];
    for (const ok of prose) assert.deepEqual(sql.detect(ok), [], ok);
    for (const ok of ['Robert', "O'Brien", 'rock and roll', 'see you at 5; bring snacks', 'a-b--c', 'Union Station', 'select a color', 'ann@example.com', '#hashtag']) {
      assert.deepEqual(sql.detect(ok), [], ok);
    }
    assert.ok(sql.isSuspicious("' or 1=1 --"));
  });

  it('scans data and rejects with 400 {"errors"} by default, reporting to onDetect', async () => {
    const seen: SQLInjectionFinding[][] = [];
    const sql = new SQLInjectionProtector({ onDetect: (f) => seen.push([...f]) });
    const data = { name: 'Ann', query: "' OR '1'='1", list: ['ok', '1; DROP TABLE x'] };
    assert.throws(
      () => sql.sanitize(data),
      (err: unknown) => {
        const e = err as { status: number; errors: unknown };
        assert.equal(e.status, 400);
        assert.deepEqual(e.errors, { query: ['Suspicious input'], 'list.1': ['Suspicious input'] });
        return true;
      },
    );
    // A field named like an Object.prototype member is reported under its own name.
    const named = JSON.parse(`{"__proto__":"' OR '1'='1","constructor":"1; DROP TABLE x"}`) as unknown;
    assert.throws(
      () => sql.sanitize(named),
      (err: unknown) => {
        const errors = (err as { errors: Record<string, unknown> }).errors;
        assert.deepEqual(Object.keys(errors), ['__proto__', 'constructor']);
        assert.deepEqual(Object.getOwnPropertyDescriptor(errors, '__proto__')?.value, ['Suspicious input']);
        assert.deepEqual(errors.constructor, ['Suspicious input']);
        return true;
      },
    );
    assert.deepEqual(seen[0]?.map((f) => [f.field, f.patterns]), [
      ['query', ['tautology']],
      ['list.1', ['stacked-query']],
    ]);
    assert.equal(sql.sanitize({ name: "O'Brien" }).name, "O'Brien");
    const app = new CovetApp();
    app.post('/search', async (req) => ({ ok: sql.sanitize(await req.json()) }));
    await using client = new TestClient(app);
    const res = await client.post('/search', { json: { q: "1' UNION SELECT 1 --" } });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), { errors: { q: ['Suspicious input'] } });
  });

  it('only reports in report mode, returning the data unchanged; keys and bare strings are scanned too', () => {
    const seen: SQLInjectionFinding[] = [];
    const sql = new SQLInjectionProtector({ action: 'report', onDetect: (f) => seen.push(...f), patterns: { custom: /\bxyzzy\b/i } });
    const data = { "a' OR 'x'='x": 1, b: 'XYZZY' };
    assert.equal(sql.sanitize(data), data);
    assert.deepEqual(seen.map((f) => f.field), ["a' OR 'x'='x", 'b']);
    assert.deepEqual(sql.scan("1 or 2=2")[0]?.field, '_root');
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { a: deep };
    assert.throws(() => sql.scan(deep), { code: 'ERR_SQLI_TOO_DEEP' });
  });

  it('works after InputValidator as in the seed, and stays linear on adversarial strings', () => {
    const validator = new InputValidator();
    const sql = new SQLInjectionProtector();
    const xss = new XSSProtector();
    const rules = { name: { required: true, maxLength: 100, pattern: '^[a-zA-Z\\s]+$' }, description: { maxLength: 1000 } } as const;
    const validated = validator.validate({ name: 'Ann', description: '<b>hi</b> <script>x</script>' }, rules);
    assert.deepEqual(xss.sanitize(sql.sanitize(validated)), { name: 'Ann', description: '<b>hi</b> ' });
    const n = 100_000;
    const attacks = ["'".repeat(n), `' ${' '.repeat(n)}or`, `'or ${'a'.repeat(n)}`, ' or '.repeat(n / 4), `union${' '.repeat(n)}select`, ';'.repeat(n), "' or 1".repeat(n / 6), `1 or ${'1'.repeat(n)}=`];
    within(3000, () => {
      for (const s of attacks) sql.detect(s);
    });
  });
});
