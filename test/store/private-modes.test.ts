import t from 'tap'
import { stat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { buildTestApp } from '../helper.js'
import { notable, seedDbxFlow } from '../helper-dbx.js'
import { downloadTaskKey } from '../../src/databricks/dbx-service.js'

// Issue 12 #9: flow data and raw event logs (unredacted Spark properties) were 0644 in 0755 folders.
t.test('the data folder is private: folders 0700, files 0600', { skip: process.platform === 'win32' }, async (t) => {
  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, 'Private')
  const n = notable(ta.sim, 'rolledParts')
  await ta.app.inject({ method: 'POST', url: `/flows/Private/runs/${n.jobGroupId}/eventlog/download`, headers: { 'hx-request': 'true' } })
  await ta.services.tasks.wait(downloadTaskKey('Private', n.runId))
  t.equal(ta.services.tasks.get(downloadTaskKey('Private', n.runId))?.status, 'done')
  const seen = { dirs: 0, files: 0 }
  async function walk (dir: string): Promise<void> {
    t.equal((await stat(dir)).mode & 0o777, 0o700, `${dir} is 0700`)
    seen.dirs++
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) await walk(p)
      else { t.equal((await stat(p)).mode & 0o777, 0o600, `${p} is 0600`); seen.files++ }
    }
  }
  await walk(ta.dataDir)
  t.ok(seen.dirs >= 3 && seen.files >= 3, `${seen.dirs} folders, ${seen.files} files (flow data, event log parts, manifest)`)
})
