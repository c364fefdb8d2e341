// The renderer's one way to reach the app: the preload's API in Electron, HTTP to the web host in browser mode.
import type { Channel, InlayApi, RequestOf, ResponseMap } from '../../../shared/contract'
import type { Envelope } from '../../../shared/transport'

async function invokeOverHttp<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseMap[C]> {
  const response = await fetch(`/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(request)
  })
  const envelope = (await response.json()) as Envelope<ResponseMap[C]>
  if (!envelope.ok) throw new Error(envelope.error.message)
  return envelope.value
}

function createWebClient(): InlayApi {
  return { app: { info: () => invokeOverHttp('app:info', {}) } }
}

export const api: InlayApi = window.inlay ?? createWebClient()
