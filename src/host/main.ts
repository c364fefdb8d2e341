// `npm run serve`: browser mode on 127.0.0.1 with a per-launch token.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createService } from '../core/service'
import { startHost } from './server'

const { values } = parseArgs({ options: { port: { type: 'string', default: '5199' } } })
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`inlay serve: --port must be an integer in 0..65535, got ${values.port}`)
  process.exit(2)
}
const rendererDir = resolve('out/renderer')
if (!existsSync(resolve(rendererDir, 'index.html'))) {
  console.error('inlay serve: out/renderer/index.html is missing; run `npm run build` first.')
  process.exit(2)
}
const { version } = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { version: string }
const host = await startHost({ service: createService({ host: 'web', version }), rendererDir, port })
console.log(`Inlay is running in browser mode. Open:\n  ${host.url}\n(loopback only; the token is new at every launch)`)
