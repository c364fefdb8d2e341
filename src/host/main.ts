// `npm run serve`: browser mode on 127.0.0.1 with a per-launch token.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createService } from '../core/service'
import { defaultDataDir, defaultModelDir } from '../core/paths'
import { startHost } from './server'

function fail(message: string): never {
  console.error(`inlay serve: ${message}`)
  process.exit(2)
}

let values
try {
  ;({ values } = parseArgs({
    options: { port: { type: 'string', default: '5199' }, 'data-dir': { type: 'string' }, model: { type: 'string' } }
  }))
} catch (err) {
  fail((err as Error).message)
}
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be an integer in 0..65535, got ${values.port}`)
const rendererDir = resolve('out/renderer')
if (!existsSync(resolve(rendererDir, 'index.html')))
  fail('out/renderer/index.html is missing; run `npm run build` first.')

const { version } = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string }
const dataDir = values['data-dir'] ? resolve(values['data-dir']) : defaultDataDir()
const modelDir = values.model ? resolve(values.model) : defaultModelDir()
const modelRoots = [join(dataDir, 'models'), resolve('models')]
const service = createService({ host: 'web', version, dataDir, modelDir, modelRoots })
const host = await startHost({ service, rendererDir, port })
console.log(`Inlay is running in browser mode. Open:\n  ${host.url}\n(loopback only; the token is new at every launch)`)
console.log(`documents: ${dataDir}\nmodel: ${modelDir}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Pending drafts are written before the process goes.
    void host.close().finally(() => service.close().finally(() => process.exit(0)))
  })
}
