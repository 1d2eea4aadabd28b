// A ranged GET streamed to a sink over real HTTP on 127.0.0.1: bytes reach the sink while the server is still
// sending (the range is never gathered in memory), retries happen only before the first byte, the range is checked
// before any byte is handed on, and a sink's own failure is its own.
import t from 'tap'
import type { Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { createHttpClient } from '../../src/http/http-client.js'
import { rangedGet } from '../../src/http/ranged-get.js'
import { UpstreamError } from '../../src/http/upstream-error.js'

const KiB = 1024
const FILE = randomBytes(1024 * KiB)

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void

async function serve (t: Test, handler: Handler): Promise<{ origin: string, requests: () => number }> {
  let n = 0
  const server = createServer((req, res) => { handler(req, res, n++) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n }
}

/** The asked range of FILE: [from, to] inclusive. */
function asked (req: IncomingMessage): [number, number] {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
  return [Number(m![1]), Math.min(Number(m![2]), FILE.length - 1)]
}

function partial (res: ServerResponse, from: number, to: number): void {
  res.writeHead(206, { 'content-range': `bytes ${from}-${to}/${FILE.length}`, 'content-length': String(to - from + 1) })
}

const client = (origin: string): ReturnType<typeof createHttpClient> => createHttpClient({ name: 'Test', baseUrl: origin, token: 'tok', baseDelayMs: 1, retries: 3, network: { proxy: {} } })

t.test('the sink gets the first bytes while the server still holds back the rest', async (t) => {
  let firstByte: () => void = () => {}
  const sinkSawBytes = new Promise<void>((resolve) => { firstByte = resolve })
  let sentRestAfterSink = false
  const { origin } = await serve(t, (req, res) => {
    const [from, to] = asked(req)
    partial(res, from, to)
    res.write(FILE.subarray(from, from + 128 * KiB))
    // the rest only once the client handed bytes on, or after 5 s (a client that gathers the body waits that long)
    const fallback = setTimeout(() => { res.end(FILE.subarray(from + 128 * KiB, to + 1)) }, 5000)
    void sinkSawBytes.then(() => {
      clearTimeout(fallback)
      sentRestAfterSink = true
      res.end(FILE.subarray(from + 128 * KiB, to + 1))
    })
  })
  const http = client(origin)
  t.teardown(async () => { await http.close() })
  const pieces: Buffer[] = []
  const n = await rangedGet(http, { path: '/f', offset: 1000, length: 512 * KiB, upstream: 'Test', what: 'Test GET /f' }, async (p) => {
    pieces.push(p)
    firstByte()
  })
  t.equal(n, 512 * KiB)
  t.ok(sentRestAfterSink, 'the server sent the rest of the range after the sink had bytes of it')
  t.ok(pieces.length > 1, `${pieces.length} pieces`)
  t.ok(Buffer.concat(pieces).equals(FILE.subarray(1000, 1000 + 512 * KiB)), 'the bytes asked')
})

t.test('a 503 before any byte is retried; a cut after some bytes is not (the caller resumes)', async (t) => {
  const { origin, requests } = await serve(t, (req, res, n) => {
    const [from, to] = asked(req)
    if (n === 0) { res.writeHead(503, { 'retry-after': '0' }); res.end('{"message":"busy"}'); return }
    partial(res, from, to)
    res.write(FILE.subarray(from, from + 100 * KiB))
    setTimeout(() => { res.socket?.destroy() }, 30)
  })
  const http = client(origin)
  t.teardown(async () => { await http.close() })
  const pieces: Buffer[] = []
  const err = await rangedGet(http, { path: '/f', offset: 0, length: 512 * KiB, upstream: 'Test', what: 'Test GET /f' }, async (p) => { pieces.push(p) }).catch((e: unknown) => e)
  t.ok(err instanceof UpstreamError && err.kind === 'network', String(err))
  t.equal(requests(), 2, 'the 503 was retried, the cut body was not')
  t.ok(Buffer.concat(pieces).equals(FILE.subarray(0, 100 * KiB)), 'what came before the cut was handed on, in order')
})

t.test('a range that does not fit is refused before any byte; a sink failure is the sink\'s, not retried', async (t) => {
  const { origin, requests } = await serve(t, (req, res) => {
    const [from, to] = asked(req)
    if (from === 0) partial(res, 5, to)
    else partial(res, from, to)
    res.end(FILE.subarray(from, to + 1))
  })
  const http = client(origin)
  t.teardown(async () => { await http.close() })
  let handed = 0
  const bad = await rangedGet(http, { path: '/f', offset: 0, length: 64 * KiB, upstream: 'Test', what: 'Test GET /f' }, async (p) => { handed += p.length }).catch((e: unknown) => e)
  t.ok(bad instanceof UpstreamError && bad.kind === 'malformed', String(bad))
  t.match(String(bad), /content-range bytes 5-65535\/1048576 does not fit bytes 0-65535/)
  t.equal(handed, 0, 'nothing handed on')

  const diskFull = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
  const before = requests()
  const err = await rangedGet(http, { path: '/f', offset: 10, length: 64 * KiB, upstream: 'Test', what: 'Test GET /f' }, async () => { throw diskFull }).catch((e: unknown) => e)
  t.equal(err, diskFull, 'the sink\'s own error, not an upstream one')
  t.equal(requests() - before, 1, 'not retried')
})
