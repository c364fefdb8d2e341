// Exposes one narrow, typed API to the renderer; the renderer never sees ipcRenderer. Requests go through one
// invoke channel; each stream gets its own MessagePort, and closing it is how the renderer stops a run. The
// application menu's commands arrive on one fixed channel, main → renderer only.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { buildApi, type Invoke, type OpenStream } from '../shared/api-client'
import type { InlayApi, MenuCommand } from '../shared/contract'
import { IPC_INVOKE, IPC_MENU, IPC_STREAM, type StreamControl, type StreamMessage } from '../shared/transport'

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

// Every kind of menu command, once: the compiler refuses this list when the contract has a kind it lacks.
const kinds: Record<MenuCommand['kind'], true> = {
  new: true,
  export: true,
  save: true,
  'toggle-theme': true,
  missing: true,
  imported: true,
  'import-failed': true
}
const MENU_KINDS: ReadonlySet<string> = new Set(Object.keys(kinds))

const menu: NonNullable<InlayApi['menu']> = {
  onCommand(callback) {
    // Only the command reaches the page, never the IPC event (it carries the sender).
    const listener = (_event: IpcRendererEvent, command: unknown) => {
      const kind = (command as { kind?: unknown } | null)?.kind
      if (typeof kind === 'string' && MENU_KINDS.has(kind)) callback(command as MenuCommand)
    }
    ipcRenderer.on(IPC_MENU, listener)
    return () => void ipcRenderer.removeListener(IPC_MENU, listener)
  }
}

contextBridge.exposeInMainWorld('inlay', { ...buildApi(invoke, openStream), menu } satisfies InlayApi)
