// Whether the compiled CLI in <root>/dist can be used: dist/cli/cli.js exists and none of the sources it was built from
// (listed by scripts/build-cli.js in dist/cli/cli.inputs.json) is newer or gone.
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** @param {string} root the project folder */
export function distIsFresh (root) {
  try {
    const built = statSync(join(root, 'dist/cli/cli.js')).mtimeMs
    const inputs = JSON.parse(readFileSync(join(root, 'dist/cli/cli.inputs.json'), 'utf8'))
    if (!Array.isArray(inputs) || inputs.length === 0) return false
    return inputs.every((p) => typeof p === 'string' && statSync(join(root, p)).mtimeMs <= built)
  } catch {
    return false
  }
}
