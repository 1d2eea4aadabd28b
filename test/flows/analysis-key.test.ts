import t from 'tap'
import { analysisKeyOf } from '../../src/flows/analysis-key.js'
import { validateSegment } from '../../src/store/flow-dir-name.js'

t.test('AAC runs are keyed by their Databricks run, on-prem runs by a prefixed job group id', async (t) => {
  t.equal(analysisKeyOf({ platform: 'aac', jobGroupId: 7, databricksRunId: '123456789012345678901' }), '123456789012345678901')
  t.equal(analysisKeyOf({ platform: 'aac', jobGroupId: 7, databricksRunId: null }), null)
  const onprem = analysisKeyOf({ platform: 'onprem', jobGroupId: 7, databricksRunId: null })
  t.equal(onprem, 'onprem-7')
  t.equal(validateSegment(onprem, 'jobRunId'), 'onprem-7', 'the store accepts the key as a folder name')
})
