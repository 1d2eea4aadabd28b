import t, { type Test } from 'tap'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { createS3Client, parseS3Uri, s3Target, type S3Client, type S3Credentials, type S3Place } from '../../src/s3/s3-client.js'
import { parseListObjectsV2, parseS3Error } from '../../src/s3/s3-xml.js'
import { SIM_S3_BUCKET, SIM_S3_REGION } from '../../src/simulator/world-plan.js'
import { UpstreamError } from '../../src/http/upstream-error.js'

/*
 * The S3 client against the simulated S3 over real HTTP on 127.0.0.1: the simulator checks every SigV4 signature with
 * its own implementation of the specification, so a signing mistake fails here.
 */

let sim: Simulator
t.before(async () => { sim = await startSimulator({ seed: 's3-client' }) })
t.teardown(async () => { await sim.close() })

const place = (): S3Place => ({ bucket: SIM_S3_BUCKET, region: SIM_S3_REGION, endpoint: sim.urls.s3 })
function client (t: Test, credentials: S3Credentials | null = { ...sim.aws, sessionToken: '' }, defaultRegion = ''): S3Client {
  const c = createS3Client({ credentials, defaultRegion, baseDelayMs: 2, network: { proxy: {} } })
  t.teardown(async () => { await c.close() })
  return c
}
/** a delivered S3 cluster's log folder */
function s3Cluster (): { clusterId: string } {
  const c = [...sim.world.clusters.values()].find((x) => x.profile.logDest?.startsWith('s3://') === true && x.logs.kind === 'delivered')
  if (c === undefined) throw new Error('the world has no cluster delivering to S3')
  return c
}

t.test('s3:// destinations and where a bucket is reached', async (t) => {
  t.same(parseS3Uri('s3://my-logs/cluster-logs/'), { bucket: 'my-logs', prefix: 'cluster-logs' })
  t.same(parseS3Uri('s3a://my-logs'), { bucket: 'my-logs', prefix: '' })
  t.equal(parseS3Uri('dbfs:/x'), null)
  t.equal(parseS3Uri('s3://Bad_Bucket/x'), null, 'bucket naming rules')
  t.same(s3Target({ bucket: 'logs', region: 'eu-west-1', endpoint: null }, ''), { origin: 'https://logs.s3.eu-west-1.amazonaws.com', pathStyle: false, region: 'eu-west-1' }, 'virtual-hosted on AWS')
  t.same(s3Target({ bucket: 'my.logs', region: null, endpoint: null }, 'eu-central-1'), { origin: 'https://s3.eu-central-1.amazonaws.com', pathStyle: true, region: 'eu-central-1' }, 'dotted bucket: path style; AWS_REGION when the destination names none')
  t.same(s3Target({ bucket: 'logs', region: null, endpoint: null }, ''), { origin: 'https://logs.s3.us-east-1.amazonaws.com', pathStyle: false, region: 'us-east-1' })
  t.same(s3Target({ bucket: 'logs', region: null, endpoint: 's3.us-west-2.amazonaws.com' }, ''), { origin: 'https://s3.us-west-2.amazonaws.com', pathStyle: true, region: 'us-west-2' }, 'an endpoint without a scheme is https; its region is read from it')
  t.same(s3Target({ bucket: 'logs', region: 'eu-west-3', endpoint: 'http://127.0.0.1:9000' }, ''), { origin: 'http://127.0.0.1:9000', pathStyle: true, region: 'eu-west-3' }, 'a custom endpoint: path style')
})

t.test('a listing follows continuation tokens across pages (the simulator returns at most 2 keys a page)', async (t) => {
  const s3 = client(t)
  const { clusterId } = s3Cluster()
  sim.resetRequests()
  const all = await s3.list(place(), `cluster-logs/${clusterId}/`)
  t.ok(all.pages >= 2, `${all.pages} pages`)
  t.equal(sim.requests('s3'), all.pages, 'one request per page')
  t.ok(all.objects.some((o) => o.key.endsWith('/driver/stdout')), 'driver logs listed')
  t.ok(all.objects.some((o) => /\/eventlog\/[^/]+\/[^/]+\/eventlog$/.test(o.key)), 'the event log listed')
  t.equal(new Set(all.objects.map((o) => o.key)).size, all.objects.length, 'no key twice')
  t.same(all.objects.map((o) => o.key), [...all.objects.map((o) => o.key)].sort(), 'in key order')
  const folders = await s3.list(place(), `cluster-logs/${clusterId}/`, { delimiter: '/' })
  t.same(folders.commonPrefixes.sort(), [`cluster-logs/${clusterId}/driver/`, `cluster-logs/${clusterId}/eventlog/`], 'a delimiter rolls keys into folders')
  t.same(folders.objects, [])
})

t.test('HEAD gives the size; ranged GETs return exactly the bytes asked', async (t) => {
  const s3 = client(t)
  const { clusterId } = s3Cluster()
  const { objects } = await s3.list(place(), `cluster-logs/${clusterId}/eventlog/`)
  const log = objects.find((o) => o.key.endsWith('/eventlog'))!
  const head = await s3.head(place(), log.key)
  t.equal(head.size, log.size)
  t.ok(head.etag !== null && head.lastModified !== null)
  const whole = await sim.s3.read(SIM_S3_BUCKET, log.key, 0, log.size - 1)
  const mid = Math.floor(log.size / 3)
  t.ok((await s3.getRange(place(), log.key, mid, 1000)).equals(whole.subarray(mid, mid + 1000)), 'a middle range')
  t.ok((await s3.getRange(place(), log.key, log.size - 10, 1000)).equals(whole.subarray(log.size - 10)), 'the end: fewer bytes')
  t.ok((await s3.getRange(place(), log.key, 0, 64, { etag: head.etag })).equals(whole.subarray(0, 64)), 'If-Match with the current ETag')
  await t.rejects(s3.getRange(place(), log.key, 0, 64, { etag: '"stale"' }), /changed during the download/)
})

t.test('every SigV4 refusal is a clear message saying what to do, never the secret', async (t) => {
  const { clusterId } = s3Cluster()
  const prefix = `cluster-logs/${clusterId}/`
  const refused = async (c: S3Client, re: RegExp, kind: string): Promise<void> => {
    const err = await c.list(place(), prefix).then(() => null, (e: unknown) => e)
    t.ok(err instanceof UpstreamError, 'an UpstreamError')
    t.match((err as UpstreamError).message, re)
    t.equal((err as UpstreamError).kind, kind)
    t.notOk((err as Error).message.includes(sim.aws.secretAccessKey), 'the secret is not in the message')
  }
  await refused(client(t, { ...sim.aws, secretAccessKey: `${sim.aws.secretAccessKey.slice(1)}x`, sessionToken: '' }), /SignatureDoesNotMatch.*AWS_SECRET_ACCESS_KEY is not the secret of AWS_ACCESS_KEY_ID/, 'auth')
  await refused(client(t, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: sim.aws.secretAccessKey, sessionToken: '' }), /InvalidAccessKeyId.*check AWS_ACCESS_KEY_ID/, 'auth')
  await refused(client(t, null), /No AWS credentials to read s3:\/\/tri-sim-logs: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/, 'config')
  const temp = sim.s3.issueTemporary(60_000)
  t.ok((await client(t, temp).list(place(), prefix)).objects.length > 0, 'temporary credentials with their session token')
  await refused(client(t, { ...temp, sessionToken: 'forged' }), /InvalidToken.*AWS_SESSION_TOKEN/, 'auth')
  const expired = sim.s3.issueTemporary(-1)
  await refused(client(t, expired), /ExpiredToken.*session token has expired/, 'auth')
  // A store that does not name the bucket's region: the error says what to set.
  sim.s3.tellsBucketRegion = false
  const wrongRegion = await client(t).list({ ...place(), region: 'eu-north-1' }, prefix).then(() => null, (e: unknown) => e as UpstreamError)
  sim.s3.tellsBucketRegion = true
  t.match(wrongRegion?.message, /AuthorizationHeaderMalformed.*not in region eu-north-1: set cluster_log_conf\.s3\.region/)
  const s3 = client(t)
  sim.s3.now = () => Date.now() + 20 * 60_000
  t.teardown(() => { sim.s3.now = Date.now })
  await refused(s3, /RequestTimeTooSkewed.*clock/, 'auth')
})

t.test('missing buckets and keys, throttling and cut answers', async (t) => {
  const s3 = client(t)
  await t.rejects(s3.list({ ...place(), bucket: 'no-such-bucket' }, 'x/'), { kind: 'not-found', message: /NoSuchBucket.*check cluster_log_conf\.s3\.destination/ })
  await t.rejects(s3.getRange(place(), 'cluster-logs/nope/eventlog', 0, 10), { kind: 'not-found', message: /NoSuchKey.*gone from the bucket/ })
  await t.rejects(s3.head(place(), 'cluster-logs/nope/eventlog'), { kind: 'not-found', message: /S3 refused to read .* with 404/ }, 'HEAD: 404 without a body')
  const { clusterId } = s3Cluster()
  sim.faults.add({ upstream: 's3', path: `/${SIM_S3_BUCKET}`, kind: 'status', status: 503, retryAfter: 0, times: 2 })
  t.ok((await s3.list(place(), `cluster-logs/${clusterId}/`)).objects.length > 0, 'SlowDown twice, with Retry-After, then the listing')
  sim.faults.add({ upstream: 's3', path: `/${SIM_S3_BUCKET}`, kind: 'status', status: 503, retryAfter: 0 })
  t.teardown(() => { sim.faults.clear() })
  await t.rejects(createS3Client({ credentials: { ...sim.aws, sessionToken: '' }, defaultRegion: '', baseDelayMs: 1, retries: 1, network: { proxy: {} } }).list(place(), 'x/'), { kind: 'rate-limited', message: /SlowDown.*throttling/ })
  sim.faults.clear()
  sim.faults.add({ upstream: 's3', path: `/${SIM_S3_BUCKET}`, kind: 'malformed', times: 1 })
  await t.rejects(s3.listPage(place(), 'x/'), { kind: 'malformed', message: /S3 list s3:\/\/tri-sim-logs\/x\/: the answer (is not well-formed XML|has no ListBucketResult)/ })
})

t.test('XML at the edge: typed shapes, hostile answers refused', async (t) => {
  const page = parseListObjectsV2('<?xml version="1.0"?><ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>abc</NextContinuationToken><Contents><Key>a/0012+b%2Bc</Key><Size>10</Size><LastModified>2024-03-19T11:00:00.000Z</LastModified><ETag>"e"</ETag></Contents></ListBucketResult>')
  t.same(page, { objects: [{ key: 'a/0012 b+c', size: 10, lastModified: Date.parse('2024-03-19T11:00:00Z'), etag: '"e"' }], commonPrefixes: [], isTruncated: true, nextContinuationToken: 'abc' }, 'keys stay strings, URL-decoded')
  t.throws(() => parseListObjectsV2('<!DOCTYPE x [<!ENTITY a "aaaa">]><ListBucketResult/>'), /DOCTYPE/)
  t.throws(() => parseListObjectsV2('<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>'), /no NextContinuationToken/)
  t.throws(() => parseListObjectsV2('<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>'), /impossible size/)
  t.same(parseS3Error('<Error><Code>AuthorizationHeaderMalformed</Code><Message>m</Message><Region>eu-west-1</Region></Error>'), { code: 'AuthorizationHeaderMalformed', message: 'm', region: 'eu-west-1', endpoint: null })
  t.same(parseS3Error('<html><body>Proxy says no</body></html>'), { code: null, message: 'Proxy says no', region: null, endpoint: null })
})

t.test('a bucket in another region than configured is followed there, as the AWS SDKs do', async (t) => {
  const { clusterId } = s3Cluster()
  const wrong = { ...place(), region: 'eu-north-1' }
  const bucketRegion = sim.s3.regionOf(SIM_S3_BUCKET)!
  t.not(bucketRegion, 'eu-north-1')
  // HEAD first: its refusal has no body, only the x-amz-bucket-region header names the region
  const headFirst = client(t)
  const { objects } = await client(t).list(place(), `cluster-logs/${clusterId}/eventlog/`)
  const log = objects.find((o) => o.key.endsWith('/eventlog'))!
  t.equal((await headFirst.head(wrong, log.key)).size, log.size, 'HEAD follows the header')
  const s3 = client(t)
  const listed = await s3.list(wrong, `cluster-logs/${clusterId}/eventlog/`)
  t.ok(listed.objects.some((o) => o.key === log.key), 'the listing follows the region the refusal names')
  const whole = await sim.s3.read(SIM_S3_BUCKET, log.key, 0, log.size - 1)
  t.ok((await s3.getRange(wrong, log.key, 10, 100)).equals(whole.subarray(10, 110)), 'a ranged GET, in the remembered region')
})

t.test('AWS_ENDPOINT_URL_S3: S3 is reached where this machine reaches it, whatever endpoint the cluster used', async (t) => {
  const { clusterId } = s3Cluster()
  const s3 = createS3Client({ credentials: { ...sim.aws, sessionToken: '' }, defaultRegion: '', endpoint: sim.urls.s3, retries: 0 })
  t.teardown(() => s3.close())
  // the cluster wrote through an endpoint this machine cannot reach (a VPC endpoint of the workspace's network)
  const listed = await s3.list({ ...place(), endpoint: 'https://bucket.vpce-0a1b2c3d.s3.us-west-2.vpce.invalid' }, `cluster-logs/${clusterId}/eventlog/`)
  t.ok(listed.objects.length > 0, 'listed through AWS_ENDPOINT_URL_S3')
})
