// Starts the real web host (same service as `npm run serve`) over the built renderer for the whole run.
import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { defaultModelDir } from '../src/core/paths'
import { createService } from '../src/core/service'
import { startHost } from '../src/host/server'

export default async function globalSetup(): Promise<() => Promise<void>> {
  const rendererDir = resolve('out/renderer')
  if (!existsSync(resolve(rendererDir, 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` before the e2e tests.')
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'inlay-e2e-'))
  // The shipped model by default (INLAY_E2E_MODEL=src/core/testdata/tiny-ilm runs the suite on the tiny one).
  const modelDir = resolve(process.env['INLAY_E2E_MODEL'] ?? defaultModelDir())
  process.env['INLAY_E2E_MODEL_NAME'] = basename(modelDir)
  // The tiny model fills a gap in milliseconds; a short pause per insertion lets the tests watch the text grow
  // and stop a run mid-way (INLAY_E2E_STEP_DELAY_MS=0 runs at full speed).
  const stepDelayMs = Number(process.env['INLAY_E2E_STEP_DELAY_MS'] ?? 40)
  // Models to switch to, as a user would add them under <data>/models/: the tiny test model, and the tiny one with
  // a length head (format 3) that the estimate and missing-text tests use.
  const modelRoots = [join(dataDir, 'models')]
  await cp(resolve('src/core/testdata/tiny-ilm'), join(dataDir, 'models', 'tiny-added'), { recursive: true })
  await cp(resolve('src/core/testdata/tiny-ilm-length'), join(dataDir, 'models', 'tiny-length'), { recursive: true })
  const service = createService({ host: 'web', version: 'e2e', dataDir, modelDir, modelRoots, stepDelayMs })
  const host = await startHost({ service, rendererDir })
  // Workers inherit the environment, so this is how the tests learn the per-launch address.
  process.env['INLAY_URL'] = host.url
  return async () => {
    await host.close()
    await service.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}
