import t from 'tap'
import { createTaskRunner } from '../../src/tasks/task-runner.js'

t.test('a task reports progress and ends done', async (t) => {
  const runner = createTaskRunner()
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const s = runner.start('download', 'k1', async (ctx) => {
    ctx.progress({ done: 5, total: 10, unit: 'bytes', message: 'half' })
    await gate
  })
  t.equal(s.status, 'running')
  t.same(runner.get('k1')?.progress, { done: 5, total: 10, unit: 'bytes', message: 'half' })
  const again = runner.start('download', 'k1', async () => { t.fail('a second task with the same key must not start') })
  t.equal(again.startedAt, s.startedAt, 'the running task is joined')
  release()
  await runner.wait('k1')
  t.equal(runner.get('k1')?.status, 'done')
  t.ok(runner.get('k1')?.finishedAt)
})

t.test('errors are kept as messages, follow-ups run only on success', async (t) => {
  const runner = createTaskRunner()
  let followed = 0
  runner.start('collect', 'bad', async () => { throw new Error('AAC answered 500') }, () => { followed++ })
  await runner.wait('bad')
  t.equal(runner.get('bad')?.status, 'failed')
  t.equal(runner.get('bad')?.error, 'AAC answered 500')
  runner.start('collect', 'good', async () => {}, () => { followed++ })
  await runner.wait('good')
  t.equal(followed, 1)
  t.equal(runner.get('missing'), null)
})

t.test('cancel aborts the signal; the task ends cancelled', async (t) => {
  const runner = createTaskRunner()
  runner.start('download', 'c', async (ctx) => {
    await new Promise((resolve, reject) => {
      ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) })
    })
  })
  t.equal(runner.cancel('c'), true)
  await runner.wait('c')
  t.equal(runner.get('c')?.status, 'cancelled')
  t.equal(runner.cancel('c'), false, 'nothing left to cancel')
  t.equal(runner.list().length, 1)
})

t.test('close cancels everything and waits', async (t) => {
  const runner = createTaskRunner()
  let ended = false
  runner.start('analyse', 'x', async (ctx) => {
    await new Promise<void>((resolve) => { ctx.signal.addEventListener('abort', () => { ended = true; resolve() }) })
  })
  await runner.close()
  t.equal(ended, true)
  t.equal(runner.get('x')?.status, 'cancelled')
})
