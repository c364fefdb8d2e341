// Starts the real web host (same service as `npm run serve`) over the built renderer for the whole run.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createService } from '../src/core/service'
import { startHost } from '../src/host/server'

export default async function globalSetup(): Promise<() => Promise<void>> {
  const rendererDir = resolve('out/renderer')
  if (!existsSync(resolve(rendererDir, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` before the e2e tests.')
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'inlay-e2e-'))
  const modelDir = resolve(process.env['INLAY_E2E_MODEL'] ?? 'src/core/testdata/tiny-ilm')
  const service = createService({ host: 'web', version: 'e2e', dataDir, modelDir })
  const host = await startHost({ service, rendererDir })
  // Workers inherit the environment, so this is how the tests learn the per-launch address.
  process.env['INLAY_URL'] = host.url
  return async () => {
    await host.close()
    await service.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}
