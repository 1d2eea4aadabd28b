// An oversize upload is answered at once: a declared Content-Length past EVENTLOG_UPLOAD_MAX_MB gets its 413 before
// a byte of the body is sent (and a client waiting for `Expect: 100-continue` never gets the go-ahead); a chunked one
// is cut off as soon as the cap is passed, and the connection closed so the client stops sending. Real sockets
// (undici.request, raw TCP) with a slow body: the answer must come before the body ends.
import t from 'tap'
import type { Test } from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { connect, type AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { FIXTURES } from '../helper-fixtures.js'
import { request } from 'undici'
import { buildTestApp, type TestApp } from '../helper.js'
import { makeRun } from '../helper-runs.js'
import { analyseTaskKey, downloadTaskKey } from '../../src/databricks/dbx-service.js'

const FLOW = 'Early answers'
const AAC_JOB = 7101
const DBX_RUN = '880101'
const MB = 1024 * 1024
const url = `/flows/${encodeURIComponent(FLOW)}/runs/${AAC_JOB}/eventlog/upload`

async function setup (t: Test): Promise<{ ta: TestApp, origin: string }> {
  const ta = await buildTestApp(t, { env: { EVENTLOG_UPLOAD_MAX_MB: '1' } })
  await ta.services.store.addFlow(FLOW)
  await ta.services.store.updateFlow(FLOW, (d) => ({ ...d, runs: [makeRun({ platform: 'aac', jobGroupId: AAC_JOB, submittedAt: '2026-11-20T08:00:00.000Z', flowName: FLOW, databricksRunId: DBX_RUN })] }))
  await ta.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = ta.app.server.address() as AddressInfo
  return { ta, origin: `http://127.0.0.1:${port}` }
}

const listing = async (ta: TestApp): Promise<string[]> => (await readdir(join(ta.services.store.flowDir(FLOW), 'eventlogs', DBX_RUN)).catch(() => [] as string[])).sort()

/**
 * A multipart body sent slowly: its head, then `slices` pieces of 64 KiB with `gapMs` between them. `sent` counts
 * the file bytes written so far; `stopped` tells the generator that the client gave up.
 */
function slowBody (boundary: string, slices: number, gapMs: number, holdFirst: Promise<unknown> = Promise.resolve()): { body: AsyncGenerator<Buffer>, sent: { bytes: number, done: boolean } } {
  const sent = { bytes: 0, done: false }
  async function * body (): AsyncGenerator<Buffer> {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="eventlog"; filename="huge.log"\r\nContent-Type: application/octet-stream\r\n\r\n`)
    await holdFirst
    for (let i = 0; i < slices; i++) {
      const piece = randomBytes(64 * 1024)
      sent.bytes += piece.length
      yield piece
      await new Promise((resolve) => setTimeout(resolve, gapMs))
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`)
    sent.done = true
  }
  return { body: body(), sent }
}

t.test('a declared Content-Length past the cap: 413 before the body is sent, nothing on disk', async (t) => {
  const { ta, origin } = await setup(t)
  const boundary = `----TriTrackerEarly${randomBytes(6).toString('hex')}`
  // 20 GB announced; not a byte of the file goes out until the answer came (or 10 s passed)
  let answered = (): void => {}
  const hold = new Promise<void>((resolve) => { answered = resolve; setTimeout(resolve, 10_000).unref() })
  const { body: gen, sent } = slowBody(boundary, 100_000, 20, hold)
  const body = Readable.from(gen)
  const t0 = Date.now()
  const res = await request(`${origin}${url}`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(20 * 1024 * MB) } })
  const fileBytesBefore = sent.bytes
  answered()
  const text = await res.body.text()
  t.equal(res.statusCode, 413)
  t.equal(fileBytesBefore, 0, 'the answer came before any of the file was sent')
  t.ok(Date.now() - t0 < 5000, `answered in ${Date.now() - t0} ms`)
  t.equal(res.headers.connection, 'close')
  t.match(text, /larger than 1\.0 MiB, the most EVENTLOG_UPLOAD_MAX_MB allows/)
  t.same(await listing(ta), [])
})

t.test('a chunked body past the cap: cut off as soon as the cap is passed, the connection closed, nothing on disk', async (t) => {
  const { ta, origin } = await setup(t)
  const boundary = `----TriTrackerEarly${randomBytes(6).toString('hex')}`
  // 64 KiB every 20 ms, 6 GiB in all: the 1 MiB cap is passed after ~0.4 s, the whole body would take 30 min
  const { body: gen, sent } = slowBody(boundary, 100_000, 20)
  const body = Readable.from(gen)
  const t0 = Date.now()
  const res = await request(`${origin}${url}`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'hx-request': 'true' } })
  const text = await res.body.text()
  const ms = Date.now() - t0
  t.equal(res.statusCode, 413)
  t.ok(ms < 5000, `answered in ${ms} ms`)
  t.notOk(sent.done)
  t.ok(sent.bytes < 8 * MB, `${(sent.bytes / MB).toFixed(2)} MiB of the file sent before the answer`)
  t.equal(res.headers.connection, 'close')
  t.notMatch(text, /<html/i, 'htmx: a fragment')
  t.match(text, /larger than 1\.0 MiB, the most EVENTLOG_UPLOAD_MAX_MB allows/)
  t.same(await listing(ta), [], 'no temp file')
})

/** A raw HTTP/1.1 exchange: writes `head`, then whatever `then` sends on what came back; returns all that came back. */
async function raw (origin: string, head: string, until: RegExp, then?: (soFar: string, write: (b: Buffer | string) => void) => void): Promise<string> {
  const { port } = new URL(origin)
  return await new Promise<string>((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1')
    let got = ''
    let answered = false
    const timer = setTimeout(() => { sock.destroy(); resolve(got) }, 8000)
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1')
      if (!answered && then !== undefined) { answered = true; then(got, (b) => sock.write(b)) }
      if (until.test(got)) { clearTimeout(timer); sock.destroy(); resolve(got) }
    })
    sock.on('error', (err) => { clearTimeout(timer); got === '' ? reject(err) : resolve(got) })
    sock.on('close', () => { clearTimeout(timer); resolve(got) })
    sock.write(head)
  })
}

t.test('Expect: 100-continue: an oversize upload is refused without the go-ahead; an acceptable one and other forms get it', async (t) => {
  const { ta, origin } = await setup(t)
  const boundary = '----TriTrackerContinue'
  const head = (path: string, length: number, type: string): string => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`

  const refused = await raw(origin, head(url, 20 * 1024 * MB, `multipart/form-data; boundary=${boundary}`), /\r\n\r\n[\s\S]*EVENTLOG_UPLOAD_MAX_MB/)
  t.match(refused, /^HTTP\/1\.1 413 /, 'the final answer comes first: no 100 Continue, so no byte of the body is sent')
  t.notMatch(refused, /100 Continue/)
  t.match(refused, /connection: close/i)

  const log = await readFile(join(FIXTURES, 'eventlogs/spark/local-1422981780767'))
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="eventlog"; filename="small.log"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    log,
    Buffer.from(`\r\n--${boundary}--\r\n`)
  ])
  let sentAfter = ''
  const accepted = await raw(origin, head(url, body.length, `multipart/form-data; boundary=${boundary}`), /HTTP\/1\.1 303 [\s\S]*\r\n\r\n/, (soFar, write) => {
    sentAfter = soFar
    write(body)
  })
  t.match(sentAfter, /^HTTP\/1\.1 100 Continue\r\n\r\n$/, 'an upload within the cap gets the go-ahead before its body')
  t.match(accepted, /HTTP\/1\.1 303 /, 'and is taken')
  await ta.services.tasks.wait(downloadTaskKey(FLOW, DBX_RUN)).catch(() => {})
  await ta.services.tasks.wait(analyseTaskKey(FLOW, DBX_RUN)).catch(() => {})

  const form = 'name=Continue+flow'
  let formGoAhead = ''
  const added = await raw(origin, head('/flows', form.length, 'application/x-www-form-urlencoded'), /HTTP\/1\.1 303 [\s\S]*\r\n\r\n/, (soFar, write) => {
    formGoAhead = soFar
    write(form)
  })
  t.match(formGoAhead, /^HTTP\/1\.1 100 Continue/, 'any other form gets the go-ahead as Node gives it')
  t.match(added, /HTTP\/1\.1 303 /)
  t.ok((await ta.services.store.listFlows()).includes('Continue flow'))
})
