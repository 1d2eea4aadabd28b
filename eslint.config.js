import neostandard from 'neostandard'

// neostandard (standard style for TypeScript); generated and vendored files are not ours to lint.
export default [
  ...neostandard({ ts: true, ignores: ['node_modules/**', 'flows/**', 'sample-data/**', 'coverage/**', '.tap/**', 'tmp/**', 'docs/**', 'dist/**'] }),
  {
    rules: {
      // `void promise` marks a deliberately unawaited call (signal handlers, fire-and-forget refreshes).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
