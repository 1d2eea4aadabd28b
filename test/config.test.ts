import t from 'tap'
import { ConfigError, isDemo, isLoopbackHost, loadConfig, urlProblem } from '../src/config.js'

t.test('defaults follow the spec', async (t) => {
  const c = loadConfig({})
  t.equal(c.PORT, 5050)
  t.equal(c.HOST, '127.0.0.1')
  t.equal(c.DEFAULT_LIMIT, 25)
  t.equal(c.MATCH_WINDOW_MINUTES, 10)
  t.equal(c.RANFOR_FILTER, 'recipe,plan')
  t.equal(c.DATA_DIR, './flows')
  t.equal(c.DBFS_LOG_ROOT, 'dbfs:/trifacta/logs')
  t.ok(Object.isFrozen(c))
  t.equal(isDemo(c), true, 'no token means demo')
})

t.test('values are coerced and trailing slashes dropped', async (t) => {
  const c = loadConfig({ PORT: '8080', DEFAULT_LIMIT: ' 50 ', PLATFORM_API_BASE_URL: 'https://eu1.alteryxcloud.com/v4/', PLATFORM_API_TOKEN: 'abc' })
  t.equal(c.PORT, 8080)
  t.equal(c.DEFAULT_LIMIT, 50)
  t.equal(c.PLATFORM_API_BASE_URL, 'https://eu1.alteryxcloud.com/v4')
  t.equal(isDemo(c), false)
  t.equal(isDemo(loadConfig({ PLATFORM_API_TOKEN: 'abc', DEMO_MODE: 'on' })), true)
})

const bad: Array<[string, string, RegExp]> = [
  ['PORT', '70000', /PORT must be an integer from 0 to 65535/],
  ['PORT', 'abc', /PORT/],
  ['DEFAULT_LIMIT', '0', /DEFAULT_LIMIT must be an integer from 1 to 1000/],
  ['MATCH_WINDOW_MINUTES', '-1', /MATCH_WINDOW_MINUTES/],
  ['PLATFORM_API_BASE_URL', 'ftp://x/v4', /PLATFORM_API_BASE_URL must be an http\(s\) URL/],
  ['PLATFORM_API_BASE_URL', 'javascript:alert(1)', /PLATFORM_API_BASE_URL/],
  ['DATABRICKS_HOST', 'https://a b', /DATABRICKS_HOST/],
  ['RANFOR_FILTER', 'recipe;plan', /RANFOR_FILTER must be a comma-separated list/],
  ['DEMO_MODE', 'maybe', /DEMO_MODE must be one of auto, on, off/],
  ['DBFS_LOG_ROOT', '/tmp/x', /DBFS_LOG_ROOT must be a dbfs:\/ path/],
  ['PLATFORM_API_TOKEN', 'abc\ndef', /PLATFORM_API_TOKEN/]
]
for (const [key, value, re] of bad) {
  t.test(`${key}=${JSON.stringify(value)} is refused with a message naming it`, async (t) => {
    try {
      loadConfig({ [key]: value })
      t.fail('should throw')
    } catch (err) {
      t.ok(err instanceof ConfigError)
      t.equal((err as ConfigError).variable, key)
      t.match((err as Error).message, re)
    }
  })
}

t.test('a refused token is not echoed', async (t) => {
  try {
    loadConfig({ DATABRICKS_TOKEN: 'dapiSECRET\u0007' })
    t.fail('should throw')
  } catch (err) {
    t.notMatch((err as Error).message, /dapiSECRET/)
  }
})

t.test('several errors are reported together', async (t) => {
  t.throws(() => loadConfig({ PORT: 'x', DEFAULT_LIMIT: 'y' }), /DEFAULT_LIMIT must[\s\S]*\nPORT must/)
})

t.test('loopback detection', async (t) => {
  for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) t.ok(isLoopbackHost(h), h)
  for (const h of ['0.0.0.0', '192.168.1.2', 'example.com', '::']) t.notOk(isLoopbackHost(h), h)
})

t.test('URLs are checked with new URL(), as the clients read them (issue 12 #4)', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['PLATFORM_API_BASE_URL', 'http://127.0.0.1:99999/v4', /PLATFORM_API_BASE_URL must be an http\(s\) URL[^\n]*: it is not a valid URL; got "http:\/\/127.0.0.1:99999\/v4"/],
    ['PLATFORM_API_BASE_URL', 'http://127.0.0.1:0/v4', /port must be from 1 to 65535/],
    ['DATABRICKS_HOST', 'https://[::1', /DATABRICKS_HOST[^\n]*not a valid URL/],
    ['DATABRICKS_HOST', 'https://a%zz.example', /DATABRICKS_HOST/],
    ['ONPREM_API_BASE_URL', 'https://u:p@trifacta.example/v4', /ONPREM_API_BASE_URL[^\n]*user name or password/],
    ['ONPREM_API_BASE_URL', 'https://trifacta.example/v4?x=1', /query string/]
  ]
  for (const [key, value, re] of cases) {
    t.throws(() => loadConfig({ [key]: value }), re, `${key}=${value}`)
    try { loadConfig({ [key]: value }) } catch (err) { t.equal((err as ConfigError).variable, key) }
  }
  for (const ok of ['http://127.0.0.1:65535/v4', 'https://eu1.alteryxcloud.com/v4', 'http://[::1]:8080/v4', 'https://trifacta.example.com:3005/v4/']) {
    t.doesNotThrow(() => loadConfig({ PLATFORM_API_BASE_URL: ok }), ok)
  }
  t.equal(urlProblem('https://adb-1.2.azuredatabricks.net'), null)
})
