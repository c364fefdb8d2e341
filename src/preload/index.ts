// Exposes one narrow, typed API to the renderer; the renderer never sees ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron'
import type { Channel, InlayApi, RequestOf, ResponseMap } from '../shared/contract'
import { IPC_INVOKE, type Envelope } from '../shared/transport'

async function invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseMap[C]> {
  const envelope = (await ipcRenderer.invoke(IPC_INVOKE, channel, request)) as Envelope<ResponseMap[C]>
  if (!envelope.ok) throw new Error(envelope.error.message)
  return envelope.value
}

const api: InlayApi = {
  app: { info: () => invoke('app:info', {}) }
}

contextBridge.exposeInMainWorld('inlay', api)
