// The multipart/form-data parser: hand-written vectors in the style of busboy's own tests, each
// fed whole, split at every byte offset and byte by byte, and — where RFC 7578 leaves no room
// for interpretation — compared with busboy's reading of the same bytes. Bodies built by
// undici's FormData (what fetch sends) round-trip too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormData as UndiciFormData, Response as UndiciResponse } from 'undici';
import { HTTPException } from '../../../src/errors.js';
import { boundaryOf, MULTIPART_DEFAULTS, MultipartParser, type PartHandler, parseHeaderValue } from '../../../src/http/multipart.js';
import {
  buildBody,
  busboyParse,
  CRLF,
  contentType,
  covetParse,
  type Entry,
  field,
  filePart,
  mediaTypesOnly,
  pseudoRandomBytes,
  splitAt,
} from '../../fixtures/multipart/helpers.js';

const B = '----WebKitFormBoundaryq8zD2Vf3mB0cKp9X';
const TYPE = contentType(B);

interface Vector {
  readonly name: string;
  readonly body: Buffer;
  readonly type?: string;
  readonly expected: readonly Entry[];
  /** busboy reads it the same way (false where Covet deliberately differs; the reason is given). */
  readonly oracle: boolean | string;
}

const binary = pseudoRandomBytes(3000);
// Data that looks like the delimiter without being it: every proper prefix of CRLF--B, the
// boundary without its CRLF, and CR/LF runs.
const lookalikes = Buffer.from(
  [
    'start',
    `--${B}`,
    `x--${B}x`,
    `\r\n--${B.slice(0, -1)}`,
    `\r\n--${B.slice(0, 10)}`,
    '\r\n--',
    '\r\n-',
    `\n--${B}`,
    `\r--${B}`,
    `\r\r\n-\r\n--\r\n`,
  ].join('|'),
);

const VECTORS: readonly Vector[] = [
  {
    name: 'fields and a text file',
    body: buildBody(B, [field('title', 'Hello'), field('tags', 'a'), field('tags', 'b'), filePart('file', 'a.txt', 'line1\r\nline2', 'text/plain')]),
    expected: [
      ['title', 'Hello'],
      ['tags', 'a'],
      ['tags', 'b'],
      ['file', { filename: 'a.txt', type: 'text/plain', content: 'line1\r\nline2' }],
    ],
    oracle: true,
  },
  {
    name: 'a binary file with every byte value',
    body: buildBody(B, [filePart('blob', 'data.bin', binary), field('after', 'x')]),
    expected: [
      ['blob', { filename: 'data.bin', type: 'application/octet-stream', content: binary.toString('latin1') }],
      ['after', 'x'],
    ],
    oracle: true,
  },
  {
    name: 'boundary-like data inside a file and a field',
    body: buildBody(B, [filePart('f', 'l.txt', lookalikes, 'text/plain'), field('v', lookalikes.toString('latin1'))]),
    expected: [
      ['f', { filename: 'l.txt', type: 'text/plain', content: lookalikes.toString('latin1') }],
      ['v', lookalikes.toString('latin1')],
    ],
    oracle: true,
  },
  {
    name: 'CR and LF at the edges of values',
    body: buildBody(B, [field('crlf', '\r\n'), field('cr', '\r'), field('lf', '\n'), field('two', '\r\n\r\n'), field('mixed', '\r\r\n\n'), field('end', 'a\r')]),
    expected: [
      ['crlf', '\r\n'],
      ['cr', '\r'],
      ['lf', '\n'],
      ['two', '\r\n\r\n'],
      ['mixed', '\r\r\n\n'],
      ['end', 'a\r'],
    ],
    oracle: true,
  },
  {
    name: 'a preamble and an epilogue (ignored)',
    body: buildBody(B, [field('a', '1')], { preamble: `This is the preamble.\r\n--${B.slice(0, 5)}`, epilogue: `epilogue\r\n--${B}\r\nmore` }),
    expected: [['a', '1']],
    oracle: true,
  },
  {
    name: 'a CRLF before the first boundary',
    body: Buffer.concat([Buffer.from(CRLF), buildBody(B, [field('a', '1')])]),
    expected: [['a', '1']],
    oracle: true,
  },
  {
    name: 'transport padding after boundaries, no CRLF after the closing one',
    body: Buffer.from(
      `--${B} \t \r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${B}\t\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n--${B}--`,
    ),
    expected: [
      ['a', '1'],
      ['b', '2'],
    ],
    oracle: 'busboy refuses transport padding (RFC 2046 allows it)',
  },
  {
    name: 'empty field, empty named file',
    body: buildBody(B, [field('empty', ''), filePart('f', 'empty.txt', '', 'text/plain')]),
    expected: [
      ['empty', ''],
      ['f', { filename: 'empty.txt', type: 'text/plain', content: '' }],
    ],
    oracle: true,
  },
  {
    name: 'an unselected file input (filename="", no content)',
    body: buildBody(B, [filePart('avatar', '', '')]),
    expected: [['avatar', { filename: '', type: 'application/octet-stream', content: '' }]],
    oracle: 'busboy drops an empty filename and so reports no filename',
  },
  {
    name: 'a file without Content-Type gets application/octet-stream, a field stays a string',
    body: buildBody(B, [
      { headers: ['Content-Disposition: form-data; name="f"; filename="x"'], content: 'data' },
      { headers: ['Content-Disposition: form-data; name="t"', 'Content-Type: text/plain; charset=utf-8'], content: 'text' },
    ]),
    expected: [
      ['f', { filename: 'x', type: 'application/octet-stream', content: 'data' }],
      ['t', 'text'],
    ],
    oracle: 'busboy defaults a file type to text/plain',
  },
  {
    name: 'many parts',
    body: buildBody(B, [
      ...Array.from({ length: 300 }, (_, i) => field(`f${i}`, `v${i}`)),
      ...Array.from({ length: 8 }, (_, i) => filePart(`file${i}`, `n${i}.txt`, `c${i}`, 'text/plain')),
    ]),
    expected: [
      ...Array.from({ length: 300 }, (_, i): Entry => [`f${i}`, `v${i}`]),
      ...Array.from({ length: 8 }, (_, i): Entry => [`file${i}`, { filename: `n${i}.txt`, type: 'text/plain', content: `c${i}` }]),
    ],
    oracle: true,
  },
  {
    name: 'UTF-8 names, values and file names, and filename*',
    body: buildBody(B, [
      field('naïve', 'Grüße 👋'),
      filePart('cv', 'résumé 履歴書.pdf', 'pdf', 'application/pdf'),
      {
        headers: [`Content-Disposition: form-data; name="rates"; filename="EUR rates.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`, 'Content-Type: text/plain'],
        content: '1.08',
      },
      { headers: [`Content-Disposition: form-data; name="l1"; filename*=iso-8859-1'en'caf%E9.txt`], content: '' },
    ]),
    expected: [
      ['naïve', 'Grüße 👋'],
      ['cv', { filename: 'résumé 履歴書.pdf', type: 'application/pdf', content: 'pdf' }],
      ['rates', { filename: '€ rates.txt', type: 'text/plain', content: '1.08' }],
      ['l1', { filename: 'café.txt', type: 'application/octet-stream', content: '' }],
    ],
    oracle: 'busboy defaults a file type to text/plain (l1)',
  },
  {
    name: 'path components are stripped from file names',
    body: buildBody(B, [
      filePart('a', '../../etc/passwd', 'x'),
      filePart('b', 'C:\\Users\\me\\cv.pdf', 'x'),
      filePart('c', '..', 'x'),
      filePart('d', '/abs/dir/', 'x'),
      filePart('e', '..\\..\\boot.ini', 'x'),
      // Separators decoded from filename* count too.
      { headers: [`Content-Disposition: form-data; name="f"; filename*=UTF-8''..%2F..%2Fetc%2Fshadow`], content: 'x' },
    ]),
    expected: [
      ['a', { filename: 'passwd', type: 'application/octet-stream', content: 'x' }],
      ['b', { filename: 'cv.pdf', type: 'application/octet-stream', content: 'x' }],
      ['c', { filename: '', type: 'application/octet-stream', content: 'x' }],
      ['d', { filename: '', type: 'application/octet-stream', content: 'x' }],
      ['e', { filename: 'boot.ini', type: 'application/octet-stream', content: 'x' }],
      ['f', { filename: 'shadow', type: 'application/octet-stream', content: 'x' }],
    ],
    oracle: 'busboy reads backslashes in quoted strings as escapes (b, e)',
  },
  {
    name: 'header injection attempts in file names',
    body: buildBody(B, [
      // A raw CRLF ends the header line: the rest is a separate (harmless) header of this part.
      { headers: ['Content-Disposition: form-data; name="a"; filename="evil.txt', 'Content-Type: text/html"'], content: '<b>' },
      // Percent-encoded CRLF (how browsers send it) stays text, it is never decoded.
      filePart('b', 'a%0D%0ASet-Cookie: x=1.txt', 'x'),
      // Decoded from filename*, control characters are removed.
      {
        headers: [`Content-Disposition: form-data; name="c"; filename*=UTF-8''evil%0D%0AX-Injected%3A%201%00.txt`],
        content: 'x',
      },
      // Bidirectional overrides would disguise the extension.
      { headers: [`Content-Disposition: form-data; name="d"; filename*=UTF-8''invoice%E2%80%AEfdp.exe`], content: 'x' },
    ]),
    expected: [
      ['a', { filename: 'evil.txt', type: 'text/html"', content: '<b>' }],
      ['b', { filename: 'a%0D%0ASet-Cookie: x=1.txt', type: 'application/octet-stream', content: 'x' }],
      ['c', { filename: 'evilX-Injected: 1.txt', type: 'application/octet-stream', content: 'x' }],
      ['d', { filename: 'invoicefdp.exe', type: 'application/octet-stream', content: 'x' }],
    ],
    oracle: 'busboy keeps control characters in file names',
  },
  {
    name: 'header syntax: any case, folded lines, quoted specials, extra headers',
    body: buildBody(B, [
      { headers: ['CONTENT-DISPOSITION: Form-Data; NAME="upper"'], content: '1' },
      { headers: ['content-disposition: form-data;', ' name="folded"'], content: '2' },
      { headers: ['Content-Disposition: form-data; name="semi;colon \\"q\\""'], content: '3' },
      { headers: ['Content-Disposition: form-data; name=token', 'Content-Transfer-Encoding: binary', 'X-Custom: y'], content: '4' },
      { headers: ['Content-Disposition:form-data;name="tight";filename="t.txt"', 'Content-Type:text/plain'], content: '5' },
    ]),
    expected: [
      ['upper', '1'],
      ['folded', '2'],
      ['semi;colon "q"', '3'],
      ['token', '4'],
      ['tight', { filename: 't.txt', type: 'text/plain', content: '5' }],
    ],
    oracle: 'busboy does not unfold obsolete folded header lines',
  },
  {
    name: 'a quoted boundary with spaces and specials',
    type: `multipart/form-data; charset=utf-8; boundary="a b'()+_,-./:=?"`,
    body: buildBody(`a b'()+_,-./:=?`, [field('a', '1')]),
    expected: [['a', '1']],
    oracle: true,
  },
  {
    name: 'an empty form (only the closing boundary)',
    body: Buffer.from(`--${B}--\r\n`),
    expected: [],
    oracle: true,
  },
];

function typeOf(v: Vector): string {
  return v.type ?? TYPE;
}

describe('multipart parser: vectors', () => {
  for (const v of VECTORS) {
    it(`parses ${v.name}`, async () => {
      assert.deepEqual(await covetParse([v.body], typeOf(v)), v.expected);
    });
  }

  for (const v of VECTORS.filter((x) => x.body.length <= 20_000)) {
    it(`parses ${v.name} split at every offset, and byte by byte`, async () => {
      for (let at = 1; at < v.body.length; at++) {
        const got = await covetParse(splitAt(v.body, at), typeOf(v));
        assert.deepEqual(got, v.expected, `split at ${at}`);
      }
      const bytes = Array.from({ length: v.body.length }, (_, i) => v.body.subarray(i, i + 1));
      assert.deepEqual(await covetParse(bytes, typeOf(v)), v.expected, 'byte by byte');
    });
  }

  it('parses the binary vector split at every pair of offsets near the delimiters', async () => {
    const v = VECTORS[1] as Vector;
    const d = Buffer.from(`\r\n--${B}`);
    const around = (at: number): number[] => Array.from({ length: d.length + 6 }, (_, i) => at - 3 + i).filter((x) => x > 0 && x < v.body.length);
    const spots: number[] = [];
    for (let at = v.body.indexOf(d); at !== -1; at = v.body.indexOf(d, at + 1)) spots.push(...around(at));
    for (const a of spots) {
      for (const b of spots) {
        if (b <= a) continue;
        assert.deepEqual(await covetParse(splitAt(v.body, a, b), typeOf(v)), v.expected, `split at ${a} and ${b}`);
      }
    }
  });

  for (const v of VECTORS) {
    if (v.oracle === true) {
      it(`agrees with busboy on ${v.name}`, async () => {
        const ours = mediaTypesOnly(await covetParse([v.body], typeOf(v)));
        assert.deepEqual(ours, mediaTypesOnly(await busboyParse(v.body, typeOf(v))));
      });
    } else {
      it(`differs from busboy on purpose on ${v.name}: ${v.oracle}`, () => {});
    }
  }
});

/** An undici FormData serialised exactly as fetch sends it. */
async function serialise(fd: UndiciFormData): Promise<{ body: Buffer; type: string }> {
  const res = new UndiciResponse(fd);
  return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') ?? '' };
}

describe('multipart parser: bodies from undici FormData', () => {
  it('reads fields and files as fetch sends them, like busboy', async () => {
    const fd = new UndiciFormData();
    fd.append('title', 'Hello, World!');
    fd.append('multi', 'one');
    fd.append('multi', 'two');
    fd.append('unicode', 'Grüße 👋 履歴書');
    fd.append('file', new Blob(['Hello, World!'], { type: 'text/plain' }), 'test.txt');
    fd.append('bin', new Blob([binary], { type: 'application/octet-stream' }), 'data.bin');
    fd.append('named', new Blob(['x'], { type: 'image/png' }), 'résumé 履歴書.png');
    fd.append('noname', new Blob(['y']));
    const { body, type } = await serialise(fd);
    assert.match(type, /^multipart\/form-data; boundary=/);
    const ours = await covetParse([body], type);
    assert.deepEqual(ours, [
      ['title', 'Hello, World!'],
      ['multi', 'one'],
      ['multi', 'two'],
      ['unicode', 'Grüße 👋 履歴書'],
      ['file', { filename: 'test.txt', type: 'text/plain', content: 'Hello, World!' }],
      ['bin', { filename: 'data.bin', type: 'application/octet-stream', content: binary.toString('latin1') }],
      ['named', { filename: 'résumé 履歴書.png', type: 'image/png', content: 'x' }],
      // A Blob without a name is sent as filename="blob".
      ['noname', { filename: 'blob', type: 'application/octet-stream', content: 'y' }],
    ]);
    assert.deepEqual(mediaTypesOnly(ours), mediaTypesOnly(await busboyParse(body, type)));
  });

  it('reads the escapes undici uses for quotes and newlines in names', async () => {
    const fd = new UndiciFormData();
    fd.append('a"b\nc', 'v');
    fd.append('f', new Blob(['z']), 'x"y\r\nz.txt');
    const { body, type } = await serialise(fd);
    const ours = await covetParse([body], type);
    assert.deepEqual(ours, [
      // undici turns a bare LF into CRLF before escaping.
      ['a%22b%0D%0Ac', 'v'],
      ['f', { filename: 'x%22y%0D%0Az.txt', type: 'application/octet-stream', content: 'z' }],
    ]);
    assert.deepEqual(mediaTypesOnly(ours), mediaTypesOnly(await busboyParse(body, type)));
  });

  it('agrees with busboy on 60 random forms, fed in random chunks', async () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['a', 'Z', '0', ' ', '-', '\r', '\n', '\r\n', '--', 'é', '€', '👋', ';', '='];
    const text = (max: number): string => Array.from({ length: rand(max) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let round = 0; round < 60; round++) {
      const fd = new UndiciFormData();
      const expected: Entry[] = [];
      for (let i = rand(6) + 1; i > 0; i--) {
        const name = `n${rand(5)}${text(4).replace(/[\r\n"]/g, '')}`;
        if (rand(2) === 0) {
          const value = text(40).replace(/\r\n|\r|\n/g, '\r\n'); // FormData normalises newlines in values
          fd.append(name, value);
          expected.push([name, value]);
        } else {
          const data = pseudoRandomBytes(rand(5000), round * 31 + i);
          // Boundary-like runs inside the data.
          if (data.length > 10) data.write('\r\n--', rand(data.length - 6), 'latin1');
          const filename = `f${rand(100)}.bin`;
          fd.append(name, new Blob([data], { type: 'application/x-test' }), filename);
          expected.push([name, { filename, type: 'application/x-test', content: data.toString('latin1') }]);
        }
      }
      const { body, type } = await serialise(fd);
      const cuts = Array.from({ length: rand(6) }, () => rand(body.length)).sort((a, b) => a - b);
      const ours = await covetParse(splitAt(body, ...cuts), type);
      assert.deepEqual(ours, expected, `round ${round}`);
      assert.deepEqual(ours, await busboyParse(body, type), `round ${round} (busboy)`);
    }
  });

  it('reads a large body split into 64 KiB chunks', async () => {
    const big = pseudoRandomBytes(1024 * 1024 + 123, 7);
    const fd = new UndiciFormData();
    fd.append('big', new Blob([big]), 'big.bin');
    fd.append('after', 'end');
    const { body, type } = await serialise(fd);
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 65_536) chunks.push(body.subarray(i, i + 65_536));
    const ours = await covetParse(chunks, type, { memoryThreshold: 4 * 1024 * 1024 });
    assert.deepEqual(ours, [
      ['big', { filename: 'big.bin', type: 'application/octet-stream', content: big.toString('latin1') }],
      ['after', 'end'],
    ]);
  });
});

async function rejects400(chunks: readonly Buffer[], type: string, message: string, code: string): Promise<void> {
  await assert.rejects(covetParse(chunks, type), (err: unknown) => {
    assert.ok(err instanceof HTTPException, String(err));
    assert.equal(err.status, 400);
    assert.deepEqual(err.toJSON(), { error: message });
    assert.equal(err.code, code);
    return true;
  });
}

const TRUNCATED = 'Malformed multipart body: it ended before the closing boundary (truncated?)';
const AFTER_BOUNDARY = 'Malformed multipart body: a boundary must be followed by CRLF or "--"';
const NO_DISPOSITION = 'Malformed multipart body: every part needs a "Content-Disposition: form-data" header with a name';

describe('multipart parser: bad input', () => {
  const whole = buildBody(B, [field('a', '1'), filePart('f', 'f.txt', 'content')]);

  it('rejects a body cut anywhere before the closing boundary with 400', async () => {
    const end = whole.indexOf(`--${B}--`) + B.length + 4;
    for (let at = 0; at < end; at++) {
      await rejects400([whole.subarray(0, at)], TYPE, TRUNCATED, 'ERR_MULTIPART_TRUNCATED');
    }
    // Cut after the closing "--": complete (the trailing CRLF is optional).
    assert.deepEqual((await covetParse([whole.subarray(0, end)], TYPE)).length, 2);
  });

  it('rejects an empty body and a body without the boundary', async () => {
    await rejects400([], TYPE, TRUNCATED, 'ERR_MULTIPART_TRUNCATED');
    await rejects400([Buffer.from('just some text\r\n--other\r\n\r\n')], TYPE, TRUNCATED, 'ERR_MULTIPART_TRUNCATED');
  });

  it('rejects the boundary inside content (the delimiter followed by other bytes)', async () => {
    const body = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${B}X and more\r\n--${B}--\r\n`);
    await rejects400([body], TYPE, AFTER_BOUNDARY, 'ERR_MULTIPART_MALFORMED');
    await rejects400([Buffer.from(`--${B}-x`)], TYPE, AFTER_BOUNDARY, 'ERR_MULTIPART_MALFORMED');
    await rejects400([Buffer.from(`--${B} x\r\n`)], TYPE, AFTER_BOUNDARY, 'ERR_MULTIPART_MALFORMED');
    await rejects400([Buffer.from(`--${B}\rx`)], TYPE, AFTER_BOUNDARY, 'ERR_MULTIPART_MALFORMED');
  });

  it('rejects parts without a form-data Content-Disposition and name', async () => {
    for (const headers of [[], ['Content-Type: text/plain'], ['Content-Disposition: attachment; name="a"'], ['Content-Disposition: form-data; filename="a"']]) {
      const body = buildBody(B, [{ headers, content: 'x' }]);
      await rejects400([body], TYPE, NO_DISPOSITION, 'ERR_MULTIPART_MALFORMED');
    }
  });

  it('rejects a missing or invalid boundary', async () => {
    const missing = 'Missing boundary in the multipart/form-data Content-Type';
    const invalid = "Invalid multipart boundary: 1 to 70 characters from RFC 2046 (letters, digits, '()+_,-./:=? and inner spaces)";
    for (const type of ['multipart/form-data', 'multipart/form-data;', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=""', 'multipart/form-data; charset=utf-8']) {
      await rejects400([whole], type, missing, 'ERR_MULTIPART_BOUNDARY');
    }
    for (const b of ['a'.repeat(71), 'abc@def', 'tab\there', '"trailing space "', 'é', 'semi\\"quote']) {
      await rejects400([whole], `multipart/form-data; boundary=${b}`, invalid, 'ERR_MULTIPART_BOUNDARY');
    }
    assert.equal(boundaryOf(`multipart/form-data; boundary=${'a'.repeat(70)}`), 'a'.repeat(70));
  });

  it('refuses part headers past 16 KiB with 413', async () => {
    const body = buildBody(B, [{ headers: ['Content-Disposition: form-data; name="a"', `X-Big: ${'h'.repeat(17 * 1024)}`], content: 'x' }]);
    await assert.rejects(covetParse([body], TYPE), {
      status: 413,
      message: 'Payload Too Large: the headers of a multipart part exceed 16384 bytes',
      code: 'ERR_MULTIPART_HEADERS_TOO_LARGE',
    });
  });
});

describe('multipart parser: limits', () => {
  const cases: readonly { name: string; options: Record<string, number>; body: Buffer; message: string; code: string }[] = [
    {
      name: 'maxFileSize',
      options: { maxFileSize: 10 },
      body: buildBody(B, [filePart('avatar', 'a.png', 'x'.repeat(11))]),
      message: 'Payload Too Large: the file in field "avatar" exceeds maxFileSize (10 bytes)',
      code: 'ERR_MULTIPART_FILE_TOO_LARGE',
    },
    {
      name: 'maxFiles',
      options: { maxFiles: 2 },
      body: buildBody(B, [filePart('a', 'a', '1'), filePart('b', 'b', '2'), filePart('c', 'c', '3')]),
      message: 'Payload Too Large: more than maxFiles (2) files',
      code: 'ERR_MULTIPART_TOO_MANY_FILES',
    },
    {
      name: 'maxFields',
      options: { maxFields: 3 },
      body: buildBody(B, [field('a', '1'), field('b', '2'), field('c', '3'), field('d', '4')]),
      message: 'Payload Too Large: more than maxFields (3) fields',
      code: 'ERR_MULTIPART_TOO_MANY_FIELDS',
    },
    {
      name: 'maxFieldSize',
      options: { maxFieldSize: 5 },
      body: buildBody(B, [field('comment', '123456')]),
      message: 'Payload Too Large: field "comment" exceeds maxFieldSize (5 bytes)',
      code: 'ERR_MULTIPART_FIELD_TOO_LARGE',
    },
    {
      name: 'maxTotalSize',
      options: { maxTotalSize: 100 },
      body: buildBody(B, [field('a', 'x'.repeat(200))]),
      message: 'Payload Too Large: the multipart body exceeds maxTotalSize (100 bytes)',
      code: 'ERR_MULTIPART_TOO_LARGE',
    },
  ];
  for (const c of cases) {
    it(`refuses a body past ${c.name} with 413 naming the limit`, async () => {
      await assert.rejects(covetParse([c.body], TYPE, c.options), (err: unknown) => {
        assert.ok(err instanceof HTTPException);
        assert.equal(err.status, 413);
        assert.deepEqual(err.toJSON(), { error: c.message });
        assert.equal(err.code, c.code);
        return true;
      });
    });
  }

  it('accepts bodies exactly at each limit', async () => {
    const body = buildBody(B, [filePart('a', 'a', 'x'.repeat(10)), field('b', '12345'), field('c', '')]);
    const got = await covetParse([body], TYPE, { maxFileSize: 10, maxFiles: 1, maxFields: 2, maxFieldSize: 5, maxTotalSize: body.length });
    assert.equal(got.length, 3);
  });

  it('counts a long field name only once in the message, cut short', async () => {
    const name = 'n'.repeat(100);
    await assert.rejects(covetParse([buildBody(B, [field(name, 'too long')])], TYPE, { maxFieldSize: 1 }), {
      message: `Payload Too Large: field "${'n'.repeat(64)}…" exceeds maxFieldSize (1 bytes)`,
    });
  });

  it('rejects invalid options', async () => {
    await assert.rejects(covetParse([Buffer.from('')], TYPE, { maxFiles: -1 }), /multipart\.maxFiles must be a non-negative integer, got -1/);
    await assert.rejects(covetParse([Buffer.from('')], TYPE, { maxFileSize: 1.5 }), RangeError);
  });

  it('has the documented defaults', () => {
    assert.deepEqual(MULTIPART_DEFAULTS, {
      maxFileSize: 10 * 1024 * 1024,
      maxFiles: 10,
      maxFields: 1000,
      maxFieldSize: 1024 * 1024,
      maxTotalSize: 100 * 1024 * 1024,
      memoryThreshold: 1024 * 1024,
    });
  });
});

describe('MultipartParser', () => {
  function events(): { handler: PartHandler; log: string[] } {
    const log: string[] = [];
    return {
      log,
      handler: {
        onPart: (h) => log.push(`part ${JSON.stringify([...h])}`),
        onData: (d) => log.push(`data ${JSON.stringify(d.toString('latin1'))}`),
        onPartEnd: () => log.push('end'),
      },
    };
  }

  it('holds back only a possible delimiter prefix at the end of a chunk', () => {
    const { handler, log } = events();
    const p = new MultipartParser('b', handler);
    p.write(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nabc\r\n-'));
    assert.deepEqual(log.slice(1), ['data "abc"']);
    p.write(Buffer.from('X\r\n--b--'));
    assert.deepEqual(log.slice(1), ['data "abc"', 'data "\\r\\n-"', 'data "X"', 'end']);
    assert.equal(p.done, true);
    p.end();
  });

  it('never buffers file data: each chunk is handed on as it arrives', () => {
    const { handler, log } = events();
    const p = new MultipartParser('b', handler);
    p.write(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"; filename="f"\r\n\r\n'));
    for (let i = 0; i < 3; i++) p.write(Buffer.from('0123456789'));
    assert.deepEqual(log.slice(1), ['data "0123456789"', 'data "0123456789"', 'data "0123456789"']);
  });
});

describe('parseHeaderValue', () => {
  it('reads the value and parameters, quoted or not, names in lower case, first one wins', () => {
    const { value, params } = parseHeaderValue('Form-Data; NAME="a;b"; filename=plain.txt; name="second"; flag; x = "y" ');
    assert.equal(value, 'form-data');
    assert.deepEqual([...params], [
      ['name', 'a;b'],
      ['filename', 'plain.txt'],
      ['x', 'y'],
    ]);
  });

  it('unescapes only \\" and \\\\ inside quotes, keeping Windows paths', () => {
    assert.equal(parseHeaderValue('form-data; name="a\\"b\\\\c"').params.get('name'), 'a"b\\c');
    assert.equal(parseHeaderValue('form-data; filename="C:\\dir\\a.txt"').params.get('filename'), 'C:\\dir\\a.txt');
  });

  it('takes the rest of the value for an unterminated quote', () => {
    assert.equal(parseHeaderValue('form-data; name="open').params.get('name'), 'open');
  });
});
