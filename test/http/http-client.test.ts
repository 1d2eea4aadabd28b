import t from 'tap'
import { parseRetryAfter } from '../../src/http/http-client.js'
import { scrubSecrets } from '../../src/http/upstream-error.js'
import { mapLimit } from '../../src/shared/map-limit.js'

t.test('retry-after in seconds, as a date, x-retry-after first', async (t) => {
  t.equal(parseRetryAfter({ 'retry-after': '3' }), 3000)
  t.equal(parseRetryAfter({ 'x-retry-after': '1.5', 'retry-after': '9' }), 1500)
  t.equal(parseRetryAfter({ 'retry-after': new Date(10_000).toUTCString() }, 4_000), 6000)
  t.equal(parseRetryAfter({ 'retry-after': 'soon' }), null)
  t.equal(parseRetryAfter({}), null)
  t.equal(parseRetryAfter({ 'retry-after': ['2', '5'] }), 2000)
})

t.test('secrets are scrubbed from messages', async (t) => {
  t.equal(scrubSecrets('token abcd1234 leaked', ['abcd1234']), 'token *** leaked')
  t.equal(scrubSecrets('Authorization: Bearer xyz.abc-def', []), 'Authorization: Bearer ***')
  t.equal(scrubSecrets('short ab', ['ab']), 'short ab', 'very short strings are not treated as secrets')
})

t.test('mapLimit keeps order and bounds concurrency', async (t) => {
  let inFlight = 0
  let max = 0
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight++
    max = Math.max(max, inFlight)
    await new Promise((resolve) => setTimeout(resolve, n * 3))
    inFlight--
    return n * 10
  })
  t.same(out, [50, 10, 40, 20, 30, 0])
  t.equal(max, 2)
  await t.rejects(mapLimit([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('boom'); return n }), /boom/)
  t.same(await mapLimit([], 4, async (n: number) => n), [])
})
