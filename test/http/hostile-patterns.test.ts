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

const cases: Array<{ name: string, run: () => unknown }> = [
  { name: "describeErrorBody: 1 MB of '<' (tag stripper)", run: () => describeErrorBody('<'.repeat(MB)) },
  { name: "describeErrorBody: '<a' repeated without '>'", run: () => describeErrorBody('<a'.repeat(MB / 2)) },
  { name: 'mask: 1 MB of eyJ- (JWT)', run: () => maskConfEntry('spark.some.conf', 'eyJ-'.repeat(MB / 4)) },
  { name: 'mask: eyJ segments with single dots', run: () => maskConfEntry('k', 'eyJaaaaaaaaaaaa.'.repeat(MB / 16)) },
  { name: 'mask: gh token runs ending in _', run: () => maskConfEntry('k', '-ghp_' + 'a'.repeat(MB) + '_') },
  { name: 'codec name: .compact repeated then x', run: () => codecFromName('.compact'.repeat(MB / 8) + 'x') },
  { name: 'parseSize: digits, 1 MB of spaces, x', run: () => parseSize('1' + ' '.repeat(MB) + 'x') },
  { name: 'evidence id: 1 MB of dots then a letter', run: () => trimTrailingPunctuation('.'.repeat(MB) + 'a') },
  { name: 'big-int quoting: an unterminated 1 MB number', run: () => { try { return parseJsonKeepingBigInts('{"a":' + '1'.repeat(MB)) } catch { return null } } },
  { name: 'token scrubber: bearer and 1 MB of spaces', run: () => scrubSecrets('bearer' + ' '.repeat(MB) + '"', ['x']) }
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const { ms } = timed(c.run)
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
