import t from 'tap'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startSimulator } from '../../src/simulator/index.js'
import { createDatabricksClient } from '../../src/databricks/databricks-client.js'
import { downloadEventLog } from '../../src/databricks/download-event-log.js'
import { eventLogFiles, STATE_FILE } from '../../src/store/eventlog-files.js'
import type { EventLogPart } from '../../src/databricks/locate-event-log.js'
import { tempDir } from '../helper.js'
import { startDownloadChild } from '../helper-dbx.js'

const MiB = 1_048_576

t.test('resume after the downloading process is SIGKILLed mid-file: completed chunks are not read again', async (t) => {
  const sim = await startSimulator({ seed: 'resume' })
  const client = createDatabricksClient({ host: sim.urls.databricks, token: sim.tokens.databricks, baseDelayMs: 2 })
  t.teardown(async () => { await client.close(); await sim.close() })
  const src = tempDir(t)
  const dir = tempDir(t)
  // two parts, the second one large, sizes not multiples of a chunk
  const small = randomBytes(MiB + 4321)
  const big = randomBytes(24 * MiB + 777)
  await writeFile(join(src, 'rolled.gz'), small)
  await writeFile(join(src, 'eventlog'), big)
  const base = '/cluster-logs/c1/eventlog/c1_10_0_0_1/42'
  const a = await sim.dbfs.addFile(`${base}/eventlog-2026-01-01--00-00.gz`, join(src, 'rolled.gz'), 1_700_000_000_000)
  const b = await sim.dbfs.addFile(`${base}/eventlog`, join(src, 'eventlog'), 1_700_000_600_000)
  const parts: EventLogPart[] = [
    { name: 'eventlog-2026-01-01--00-00.gz', path: a.path, size: a.file_size, modificationTime: a.modification_time },
    { name: 'eventlog', path: b.path, size: b.file_size, modificationTime: b.modification_time }
  ]
  const totalChunks = Math.ceil(small.length / MiB) + Math.ceil(big.length / MiB)
  const slow = sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/read', kind: 'latency', ms: 60 })

  const { child, exited, output } = startDownloadChild(sim, parts, dir)
  // wait until the child has checkpointed the first part and a few chunks of the second
  const deadline = Date.now() + 60_000
  for (;;) {
    if (Date.now() > deadline) throw new Error(`the child made no progress: ${output()}`)
    const state = await readFile(join(dir, STATE_FILE), 'utf8').then((s) => JSON.parse(s) as { parts: Record<string, { done: boolean, completed: number[][] }> }, () => null)
    const second = state?.parts.eventlog
    if (state?.parts[parts[0]!.name]?.done === true && second !== undefined && second.completed.reduce((s, r) => s + r[1]! - r[0]!, 0) >= 4) break
    await sleep(20)
  }
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL', 'killed mid-download')
  t.notMatch(output(), /finished/)
  slow()

  const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as { chunkSize: number, parts: Record<string, { done: boolean, completed: number[][] }> }
  const firstChunks = Math.ceil(small.length / MiB)
  const checkpointed = firstChunks + state.parts.eventlog!.completed.reduce((s, r) => s + r[1]! - r[0]!, 0)
  t.ok(checkpointed < totalChunks, `${checkpointed} of ${totalChunks} chunks checkpointed before the kill`)
  t.ok(existsSync(join(dir, parts[0]!.name)), 'the finished first part was renamed to its name')
  t.ok(existsSync(join(dir, 'eventlog.partial')), 'the second is still partial')

  sim.resetRequests()
  const manifest = await downloadEventLog({ client, parts, files: eventLogFiles(dir) })
  t.equal(sim.requests('databricks', '/api/2.0/dbfs/read'), totalChunks - checkpointed, 'checkpointed chunks were not read again')
  t.equal(sim.requests('databricks', '/api/2.0/dbfs/get-status'), parts.length, 'sizes verified with get-status')
  t.ok((await readFile(join(dir, parts[0]!.name))).equals(small), 'first part byte-identical to the source file')
  t.ok((await readFile(join(dir, 'eventlog'))).equals(big), 'second part byte-identical to the source file')
  t.equal(manifest.totalBytes, small.length + big.length)
  t.notOk(existsSync(join(dir, 'eventlog.partial')))
  t.notOk(existsSync(join(dir, STATE_FILE)))
})
