import t from 'tap'
import { describeErrorBody, parseJsonKeepingBigInts, stripTags } from '../../src/http/http-client.js'
import { scrubSecrets } from '../../src/http/upstream-error.js'
import { holdsJwt, maskConfEntry, MASK } from '../../src/databricks/mask.js'
import { codecFromName } from '../../src/spark/read/codec.js'
import { parseSize } from '../../src/spark/recommend.js'
import { trimTrailingPunctuation } from '../../src/dashboard/dashboard-view.js'

/*
 * Issue 12 #3: a pattern run on upstream or event-log text must stay linear. Each case is 1 MB of the input that
 * made the old pattern back-track (the `<` body took 28 s at 300 KB, the `eyJ-` value 9.6 s at 200 KB). The bound
 * is generous (a linear pass over 1 MB takes milliseconds) so the test cannot be flaky, yet the quadratic versions
 * would take minutes.
 */
const MB = 1024 * 1024
const BOUND_MS = 1000

function timed<T> (fn: () => T): { ms: number, value: T } {
  const start = performance.now()
  const value = fn()
  return { ms: performance.now() - start, value }
}

// Each case builds its worst case of n bytes. It runs once on 1 KB first: V8 interprets a pattern's first runs
// before compiling it, and that is what a loaded machine makes slow, not back-tracking.
const cases: Array<{ name: string, run: (n: number) => unknown }> = [
  { name: "describeErrorBody: 1 MB of '<' (tag stripper)", run: (n) => describeErrorBody('<'.repeat(n)) },
  { name: "describeErrorBody: '<a' repeated without '>'", run: (n) => describeErrorBody('<a'.repeat(n / 2)) },
  { name: 'mask: 1 MB of eyJ- (JWT)', run: (n) => maskConfEntry('spark.some.conf', 'eyJ-'.repeat(n / 4)) },
  { name: 'mask: eyJ segments with single dots', run: (n) => maskConfEntry('k', 'eyJaaaaaaaaaaaa.'.repeat(n / 16)) },
  { name: 'mask: gh token runs ending in _', run: (n) => maskConfEntry('k', '-ghp_' + 'a'.repeat(n) + '_') },
  { name: 'codec name: .compact repeated then x', run: (n) => codecFromName('.compact'.repeat(n / 8) + 'x') },
  { name: 'parseSize: digits, 1 MB of spaces, x', run: (n) => parseSize('1' + ' '.repeat(n) + 'x') },
  { name: 'evidence id: 1 MB of dots then a letter', run: (n) => trimTrailingPunctuation('.'.repeat(n) + 'a') },
  { name: 'big-int quoting: an unterminated 1 MB number', run: (n) => { try { return parseJsonKeepingBigInts('{"a":' + '1'.repeat(n)) } catch { return null } } },
  { name: 'token scrubber: bearer and 1 MB of spaces', run: (n) => scrubSecrets('bearer' + ' '.repeat(n) + '"', ['x']) }
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    c.run(1024)
    // the better of two runs: a load spike on a shared machine can slow one; a quadratic pattern is slow in both
    const ms = Math.min(timed(() => c.run(MB)).ms, timed(() => c.run(MB)).ms)
    t.ok(ms < BOUND_MS, `finished in ${ms.toFixed(1)} ms`)
  })
}

t.test('the linear versions still find what the patterns found', async (t) => {
  t.equal(stripTags('<html><body>Gateway <b>Timeout</b></body></html>'), '  Gateway  Timeout   ')
  t.equal(stripTags('a < b and c'), 'a < b and c', 'a lone < is text')
  t.same(describeErrorBody('<html><h1>RESOURCE_EXHAUSTED: slow down</h1></html>'), { code: 'RESOURCE_EXHAUSTED', message: 'slow down' })
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl'
  t.ok(holdsJwt(jwt))
  t.ok(holdsJwt(`Bearer ${jwt}`))
  t.ok(holdsJwt(`x-${jwt}`), 'after a dash (a word boundary)')
  t.notOk(holdsJwt(`x_${jwt}`), 'no word boundary after an underscore')
  t.notOk(holdsJwt('eyJshort.eyJaaaaaaaaaaaa.'), 'the header needs 10+ characters after eyJ')
  t.notOk(holdsJwt('eyJaaaaaaaaaaaa.short.'), 'the payload needs 10+ characters')
  t.notOk(holdsJwt('eyJaaaaaaaaaaaa.bbbbbbbbbbbb'), 'a second dot is needed')
  t.equal(maskConfEntry('spark.hadoop.auth', jwt).value, MASK)
  t.equal(codecFromName('app-1.zstd.inprogress'), 'zstd')
  t.equal(codecFromName('app-1.lz4.compact.inprogress'), 'lz4')
  t.equal(codecFromName('app-1.inprogress'), undefined)
  t.equal(parseSize(' 4g '), 4 * 1024 ** 3)
  t.equal(parseSize('512 mb'), 512 * MB)
  t.equal(parseSize('1 x'), undefined)
  t.equal(trimTrailingPunctuation('12.,;:'), '12')
  t.equal(trimTrailingPunctuation('driver'), 'driver')
})
