import t from 'tap'
import { parseRetryAfter } from '../../src/http/http-client.js'
import { scrubSecrets } from '../../src/http/upstream-error.js'

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
