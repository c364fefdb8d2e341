// Exposes one narrow, typed API to the renderer; the renderer never sees ipcRenderer. Requests go through one
// invoke channel; each stream gets its own MessagePort, and closing it is how the renderer stops a run.
import { contextBridge, ipcRenderer } from 'electron'
import { buildApi, type Invoke, type OpenStream } from '../shared/api-client'
import { IPC_INVOKE, IPC_STREAM, type StreamControl, type StreamMessage } from '../shared/transport'

const invoke: Invoke = (channel, request) => ipcRenderer.invoke(IPC_INVOKE, channel, request)

const openStream: OpenStream = (channel, payload, onMessage) => {
  const { port1, port2 } = new MessageChannel()
  port1.onmessage = (e: MessageEvent<StreamMessage>) => {
    onMessage(e.data)
    if ('end' in e.data) port1.close()
  }
  ipcRenderer.postMessage(IPC_STREAM, { channel, payload }, [port2])
  return () => port1.postMessage({ op: 'stop' } satisfies StreamControl)
}

contextBridge.exposeInMainWorld('inlay', buildApi(invoke, openStream))
