import type { Envelope } from '../shared/transport'
import { ApiFailure, type Service } from './service'

/** Runs a request through the service and never throws: failures become error envelopes. */
export async function invokeEnveloped(service: Service, channel: string, payload: unknown): Promise<Envelope<unknown>> {
  try {
    return { ok: true, value: await service.dispatch(channel, payload) }
  } catch (err) {
    if (err instanceof ApiFailure) return { ok: false, error: err.error }
    console.error(`[inlay] ${channel} failed:`, err)
    return { ok: false, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } }
  }
}
