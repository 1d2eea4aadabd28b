import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { RunParamsSchema, type RunParams } from '../plugins/route-schemas.js'
import { loadDatabricksRun, loadFlow, loadRun } from '../plugins/load-flow.js'
import { wantsFragment } from '../plugins/htmx.js'
import { sendContinue } from '../plugins/expect-continue.js'
import { flowPath } from '../shared/format.js'
import { uploadTooLarge } from '../store/eventlog-upload.js'
import { analysisKeyOf } from './analysis-key.js'

const MB = 1024 * 1024
// what a multipart body carries besides the file (boundaries, part headers): a Content-Length beyond the limit by
// more than this cannot hold a file within it
const FRAMING_BYTES = 64 * 1024
// how long a refused upload's connection stays half-open (answer sent, the rest discarded) before it is closed
const LINGER_MS = 1000

/**
 * Bring your own log: `POST …/eventlog/upload` (an AAC run's, keyed by its Databricks run) and
 * `POST …/onprem/eventlog/upload` (an on-prem run's) take one file as multipart/form-data, stream it into the run's
 * event log folder and analyse it. Without JavaScript the answer is a redirect to the panel the form was on; for htmx
 * a redirect to the download progress fragment, which polls while the log is analysed.
 */
export async function uploadRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, uploads, upstreams } = app

  async function target (params: RunParams, platform: 'aac' | 'onprem'): Promise<{ flowName: string, key: string, panelUrl: string, progressUrl: string }> {
    const flow = await loadFlow(store, params.flow)
    const run = platform === 'aac' ? loadDatabricksRun(flow, params.jobGroupId) : loadRun(flow, params.jobGroupId, 'onprem')
    const key = analysisKeyOf(run)
    if (key === null) throw app.httpErrors.notFound(`Run ${run.jobGroupId} has no place for an event log.`)
    const runUrl = `${flowPath(flow.name)}/runs/${run.jobGroupId}`
    // the panel the form is on, and its download box (the progress fragment)
    return platform === 'aac'
      ? { flowName: flow.name, key, panelUrl: `${runUrl}/dbx`, progressUrl: `${runUrl}/eventlog/progress` }
      : { flowName: flow.name, key, panelUrl: `${runUrl}/onprem`, progressUrl: `${runUrl}/onprem/eventlog/progress` }
  }

  /**
   * A refused body is not parsed on: what the client is still sending is discarded (read, never kept) and the
   * connection is closed once the answer is out, so the client stops sending. Node closes a `connection: close`
   * socket as soon as the answer is flushed (socket.destroySoon), and the bytes still arriving then reset the
   * connection: a client busy writing its body can meet that reset before it has read the answer (EPIPE instead of
   * the 413). So, as web servers do (nginx's lingering close), this socket ends our side first and keeps discarding
   * for LINGER_MS before it is closed.
   */
  function discardRest (req: FastifyRequest, reply: FastifyReply): void {
    reply.header('connection', 'close')
    const socket = req.raw.socket
    socket.destroySoon = () => {
      socket.end()
      setTimeout(() => { socket.destroy() }, LINGER_MS).unref()
    }
    req.raw.resume()
  }

  async function upload (req: FastifyRequest, params: RunParams, reply: FastifyReply, platform: 'aac' | 'onprem'): Promise<FastifyReply> {
    const { flowName, key, panelUrl, progressUrl } = await target(params, platform)
    if (!req.isMultipart()) throw app.httpErrors.unsupportedMediaType('Send the event log file as multipart/form-data, as the form on the run page does.')
    const maxBytes = upstreams.config.EVENTLOG_UPLOAD_MAX_MB * MB
    const declared = Number(req.headers['content-length'])
    const expectedBytes = Number.isSafeInteger(declared) && declared > 0 ? declared : null
    if (expectedBytes !== null && expectedBytes > maxBytes + FRAMING_BYTES) {
      discardRest(req, reply)
      throw uploadTooLarge(maxBytes)
    }
    // a client waiting for `Expect: 100-continue` sends its body only now, once its size is acceptable
    sendContinue(req, reply)
    // one byte past the limit reaches receiveUpload, which cuts the upload off there
    const part = await req.file({ limits: { fileSize: maxBytes + 1 }, throwFileSizeLimit: false })
    if (part === undefined) throw app.httpErrors.badRequest('No file was sent: choose the Spark event log file to analyse.')
    try {
      await uploads.receive(flowName, key, { stream: part.file, clientName: part.filename, maxBytes, expectedBytes })
    } catch (err) {
      part.file.resume()
      discardRest(req, reply)
      throw err
    }
    // htmx follows the redirect in its request and swaps the progress fragment in place of the form's box
    return await reply.redirect(wantsFragment(req) ? progressUrl : panelUrl, 303)
  }

  app.post('/flows/:flow/runs/:jobGroupId/eventlog/upload', { schema: { params: RunParamsSchema }, config: { decidesContinue: true } }, async (req, reply) => {
    return await upload(req, req.params, reply, 'aac')
  })

  app.post('/flows/:flow/runs/:jobGroupId/onprem/eventlog/upload', { schema: { params: RunParamsSchema }, config: { decidesContinue: true } }, async (req, reply) => {
    return await upload(req, req.params, reply, 'onprem')
  })
}
