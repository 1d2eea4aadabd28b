// Child process of test/trifacta/aac-oauth.test.ts: refreshes the AAC token once through the store in TT_DIR, says
// so, then calls the API with the new access token in a loop until the parent SIGKILLs it.
import { createFlowStore } from '../src/store/flow-store.js'
import { createAacTokenSource } from '../src/trifacta/aac-oauth.js'
import { createTrifactaClient } from '../src/trifacta/trifacta-client.js'

const env = process.env
const store = createFlowStore({ dataDir: env.TT_DIR ?? '' })
const token = createAacTokenSource({ accessToken: env.TT_ACCESS ?? '', refreshToken: env.TT_REFRESH ?? '', store })
const aac = createTrifactaClient({ platform: 'aac', baseUrl: env.TT_AAC ?? '', token })
await token.refreshAfter401(await token.token())
process.stdout.write('refreshed\n')
for (;;) await aac.ping()
