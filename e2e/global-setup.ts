// Starts the real web host (same service as `npm run serve`) over the built renderer for the whole run.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { createService } from '../src/core/service'
import { startHost } from '../src/host/server'

export default async function globalSetup(): Promise<() => Promise<void>> {
  const rendererDir = resolve('out/renderer')
  if (!existsSync(resolve(rendererDir, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` before the e2e tests.')
  }
  const host = await startHost({ service: createService({ host: 'web', version: 'e2e' }), rendererDir })
  // Workers inherit the environment, so this is how the tests learn the per-launch address.
  process.env['INLAY_URL'] = host.url
  return () => host.close()
}
