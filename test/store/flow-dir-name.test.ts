import t from 'tap'
import {
  MAX_DIR_NAME_BYTES,
  decodeFlowDirName,
  encodeFlowDirName,
  validateFlowName,
  validateSegment
} from '../../src/store/flow-dir-name.js'
import { InvalidFlowNameError, InvalidSegmentError } from '../../src/store/errors.js'

const hostile = [
  '..', '.', '...', '.hidden', 'a/b', 'a\\b', '%2e%2e', '%2E%2E', '../../etc/passwd', '..\\..\\windows',
  'con', 'CON', 'nul', 'com1', 'lpt9', 'con.txt', ' leading space', 'trailing space ', 'trailing dot.', '-rf',
  'Sales Daily Load', 'sales daily load', 'SALES DAILY LOAD', 'a^b', 'a~b', 'a%b', 'a b', 'a  b', 'x'.repeat(200),
  'é', 'e\u0301', 'Ä', 'ä', 'İ', 'ß', 'ﬀ', '日本語のフロー', '🚀 launch 🚀', '👩‍👩‍👧', '\u202Eevil', 'tab\u00A0nbsp',
  'emoji'.repeat(30) + '🎉'.repeat(50), '🎉'.repeat(200), 'a'.repeat(199) + 'B'
]

const label = (v: unknown): string => JSON.stringify(String(v)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
const SAFE_CHARS = /^[a-z0-9_ ^%A-F~-]+$/

t.test('encoding is safe for every hostile name', async (t) => {
  for (const name of hostile) {
    const dir = encodeFlowDirName(name)
    t.ok(SAFE_CHARS.test(dir), `only safe characters: ${label(name)} -> ${dir}`)
    t.ok(Buffer.byteLength(dir) <= MAX_DIR_NAME_BYTES, `bounded: ${dir.length}`)
    t.notOk(dir.startsWith('.'), 'no dot prefix')
    t.notOk(dir.startsWith('-'), 'no dash prefix')
    t.notOk(dir.endsWith(' '), 'no trailing space')
    t.notOk(dir.includes('..'), 'no ..')
    t.notOk(/[/\\\0]/.test(dir), 'no separators or NUL')
    t.notOk(/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(dir), 'no Windows device name')
  }
})

t.test('round trip', async (t) => {
  for (const name of hostile) {
    const dir = encodeFlowDirName(name)
    const back = decodeFlowDirName(dir)
    if (dir.includes('~')) {
      t.equal(back?.kind, 'hashed', `long name hashed: ${name.slice(0, 20)}`)
      t.ok(back?.kind === 'hashed' && name.startsWith(back.prefix), 'prefix is the start of the name')
    } else {
      t.same(back, { kind: 'exact', name }, `decodes back: ${label(name)}`)
    }
  }
})

t.test('injective, also on case-insensitive and normalising file systems', async (t) => {
  const dirs = hostile.map(encodeFlowDirName)
  t.equal(new Set(dirs).size, hostile.length, 'distinct names -> distinct folders')
  t.equal(new Set(dirs.map((d) => d.toLowerCase())).size, hostile.length, 'still distinct after case folding')
  t.equal(new Set(dirs.map((d) => d.normalize('NFD'))).size, hostile.length, 'still distinct after normalisation')
  t.not(encodeFlowDirName('Flow'), encodeFlowDirName('flow'))
  t.not(encodeFlowDirName('é'), encodeFlowDirName('e\u0301'))
})

t.test('readable for ordinary names', async (t) => {
  t.equal(encodeFlowDirName('Sales Daily Load'), '^sales ^daily ^load')
  t.equal(encodeFlowDirName('orders_v2-eu'), 'orders_v2-eu')
  t.equal(encodeFlowDirName('..'), '%2E%2E')
  t.equal(encodeFlowDirName('%2e%2e'), '%252e%252e')
  t.equal(encodeFlowDirName('a/b'), 'a%2Fb')
  t.equal(encodeFlowDirName('con'), '%63on')
})

t.test('long names: hashed, distinct, deterministic', async (t) => {
  const a = 'x'.repeat(150) + 'a'
  const b = 'x'.repeat(150) + 'b'
  t.not(encodeFlowDirName(a), encodeFlowDirName(b), 'same prefix, different hash')
  t.equal(encodeFlowDirName(a), encodeFlowDirName(a))
  t.match(encodeFlowDirName(a), /^x+~[0-9a-f]{32}$/)
})

t.test('decode refuses what the encoder never makes', async (t) => {
  for (const dir of ['', '.', '..', 'A', 'a/b', '%2e', '%61', 'a%', '%ZZ', '^A', '^', 'trailing ', ' lead', '-x', 'con', '%FF', '%C3', 'x~abc', '.x.tmp']) {
    t.equal(decodeFlowDirName(dir), null, JSON.stringify(dir))
  }
})

t.test('flow name validation', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    ['', /empty/], ['   ', /empty/], ['\t\n', /empty|control/], ['a\0b', /U\+0000/], ['line\nbreak', /U\+000A/],
    ['bell\u0007', /control/], ['sep\u2028', /U\+2028/], ['\uD800lone', /broken Unicode/], ['x'.repeat(201), /at most 200/],
    [42, /string/], [null, /string/]
  ]
  for (const [name, msg] of bad) {
    // labels escaped: a raw U+2028 or lone surrogate in a test name would break the TAP stream itself
    t.throws(() => validateFlowName(name), InvalidFlowNameError, label(name))
    t.throws(() => validateFlowName(name), { message: msg })
  }
  t.equal(validateFlowName('🎉'.repeat(200)), '🎉'.repeat(200), '200 code points are fine even as 400 UTF-16 units')
  t.throws(() => encodeFlowDirName('a\0'), InvalidFlowNameError, 'the encoder validates too')
})

t.test('validateSegment', async (t) => {
  t.equal(validateSegment('123456789012345678901', 'jobRunId'), '123456789012345678901', 'beyond 2^53 as a string')
  t.equal(validateSegment(42, 'jobGroupId'), '42')
  t.equal(validateSegment('0', 'jobRunId'), '0')
  t.equal(validateSegment('onprem-42', 'jobRunId'), 'onprem-42', 'an on-prem run key')
  t.throws(() => validateSegment('onprem-042', 'jobRunId'), 'no leading zeros after the prefix')
  t.throws(() => validateSegment('onprem-42', 'jobGroupId'), 'the prefix only names event log folders')
  for (const v of ['', '..', '.', '1/2', '1\\2', '007', '-1', '1e3', '12 ', 'abc', '%2e%2e', '1\0', 1.5, -3, Number.NaN, null, '9'.repeat(31)]) {
    t.throws(() => validateSegment(v, 'jobRunId'), InvalidSegmentError, label(v))
  }
  t.equal(validateSegment('eventlog-2024-01-01--10-00.gz', 'fileName'), 'eventlog-2024-01-01--10-00.gz')
  for (const v of ['', '.', '..', '.hidden', 'a/b', 'a\\b', 'a b', 'x'.repeat(129), '-rf', 'é']) {
    t.throws(() => validateSegment(v, 'fileName'), InvalidSegmentError, label(v))
  }
})
