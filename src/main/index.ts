import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  session,
  shell,
  type IpcMainEvent,
  type IpcMainInvokeEvent
} from 'electron'
import { writeExportFile } from '../core/export'
import { createService, type ExportFile, type Service } from '../core/service'
import type { ExportOutcome } from '../shared/contract'
import { invokeEnveloped, startStream } from '../core/envelope'
import { DEFAULT_MODEL_NAME } from '../core/paths'
import { IPC_INVOKE, IPC_STREAM, type StreamControl, type StreamMessage } from '../shared/transport'

const rendererFile = join(import.meta.dirname, '../renderer/index.html')
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined

/** Only our own renderer may call the API: the dev server in development, the bundled file otherwise. */
function isTrustedSender(event: IpcMainInvokeEvent | IpcMainEvent): boolean {
  const url = event.senderFrame?.url
  if (!url) return false
  if (devServerUrl) return new URL(url).origin === new URL(devServerUrl).origin
  return url === pathToFileURL(rendererFile).href
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1200,
    height: 820,
    show: false,
    title: 'Inlay',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: true
    }
  })
  win.once('ready-to-show', () => win.show())
  if (devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadFile(rendererFile)
}

function lockDown(): void {
  // No remote content, no new windows, no navigation away from the app, no permissions.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url)
      return { action: 'deny' }
    })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const allowed =
      details.url.startsWith('file:') ||
      details.url.startsWith('devtools:') ||
      (devServerUrl !== undefined && details.url.startsWith(new URL(devServerUrl).origin))
    callback({ cancel: !allowed })
  })
}

/** Electron: the user picks where the export goes, as with any desktop document. */
async function saveExport(file: ExportFile): Promise<ExportOutcome> {
  const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  const options = { title: 'Export', defaultPath: join(app.getPath('documents'), file.fileName) }
  const choice = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options)
  if (choice.canceled || !choice.filePath) return { kind: 'cancelled' }
  await writeExportFile(choice.filePath, file.bytes)
  return { kind: 'saved', path: choice.filePath }
}

function serveApi(service: Service): void {
  ipcMain.handle(IPC_INVOKE, async (event, channel: unknown, payload: unknown) => {
    if (!isTrustedSender(event)) return { ok: false, error: { code: 'invalid-request', message: 'Untrusted sender' } }
    if (typeof channel !== 'string') {
      return { ok: false, error: { code: 'invalid-request', message: 'Channel must be a string' } }
    }
    return invokeEnveloped(service, channel, payload)
  })
  // A stream arrives with its own MessagePort: events go out on it; a stop message or a closed port stops it.
  ipcMain.on(IPC_STREAM, (event, message: unknown) => {
    const port = event.ports[0]
    if (!port) return
    const post = (m: StreamMessage) => port.postMessage(m)
    const request = message as { channel?: unknown; payload?: unknown } | null
    if (!isTrustedSender(event) || typeof request?.channel !== 'string') {
      post({ error: { code: 'invalid-request', message: 'Malformed stream request' } })
      post({ end: true })
      return port.close()
    }
    const stop = startStream(service, request.channel, request.payload, post)
    port.on('message', (e) => {
      if ((e.data as StreamControl | null)?.op === 'stop') stop()
    })
    port.on('close', stop)
    port.start()
  })
}

void app.whenReady().then(() => {
  lockDown()
  const service = createService({
    host: 'electron',
    version: app.getVersion(),
    dataDir: app.getPath('userData'),
    modelDir: join(app.getAppPath(), 'models', DEFAULT_MODEL_NAME),
    deliverExport: saveExport
  })
  serveApi(service)
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  // Pending drafts are written before the app goes.
  app.on('will-quit', () => void service.close())
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
