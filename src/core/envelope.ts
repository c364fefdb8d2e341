import type { StreamMessage, Envelope } from '../shared/transport'
import { ApiFailure, type Service } from './service'

function toApiError(err: unknown, what: string) {
  if (err instanceof ApiFailure) return err.error
  console.error(`[inlay] ${what} failed:`, err)
  return { code: 'internal' as const, message: err instanceof Error ? err.message : String(err) }
}

/** Runs a request through the service and never throws: failures become error envelopes. */
export async function invokeEnveloped(service: Service, channel: string, payload: unknown): Promise<Envelope<unknown>> {
  try {
    return { ok: true, value: await service.dispatch(channel, payload) }
  } catch (err) {
    return { ok: false, error: toApiError(err, channel) }
  }
}

/** Starts a stream and posts its messages, always ending with `{ end: true }`. Returns its stop function. */
export function startStream(
  service: Service,
  channel: string,
  payload: unknown,
  post: (message: StreamMessage) => void
): () => void {
  try {
    const handle = service.stream(channel, payload, (event) => post({ event }))
    void handle.finished.then(() => post({ end: true }))
    return handle.stop
  } catch (err) {
    post({ error: toApiError(err, channel) })
    post({ end: true })
    return () => {}
  }
}
