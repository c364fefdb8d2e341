// The handlers behind every channel of the contract. Electron main and the web host both dispatch here,
// through `dispatch`, so validation and behaviour are identical in both.
import { channels, type ApiError, type Channel, type ResponseMap } from '../shared/contract'

export interface ServiceOptions {
  host: 'electron' | 'web'
  version: string
}

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message)
  }
}

export function createService(options: ServiceOptions) {
  const handlers: { [C in Channel]: (request: unknown) => Promise<ResponseMap[C]> } = {
    'app:info': async () => ({ name: 'Inlay', version: options.version, host: options.host })
  }

  async function dispatch(channel: string, payload: unknown): Promise<unknown> {
    if (!Object.hasOwn(channels, channel)) {
      throw new ApiFailure({ code: 'unknown-channel', message: `Unknown channel: ${channel}` })
    }
    const name = channel as Channel
    const parsed = channels[name].safeParse(payload ?? {})
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      throw new ApiFailure({ code: 'invalid-request', message: `Invalid request for ${channel}: ${issues.join('; ')}` })
    }
    return handlers[name](parsed.data)
  }

  return { dispatch }
}

export type Service = ReturnType<typeof createService>
