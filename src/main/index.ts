import { readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  app,
  BaseWindow,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  session,
  shell,
  type IpcMainEvent,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type OpenDialogOptions
} from 'electron'
import { writeExportFile } from '../core/export'
import { createService, type ExportFile, type Service } from '../core/service'
import type { ExportOutcome, ImportedDocument, MenuCommand } from '../shared/contract'
import { invokeEnveloped, startStream } from '../core/envelope'
import { DEFAULT_MODEL_NAME } from '../core/paths'
import { MAX_IMPORT_BYTES } from '../shared/limits'
import { IPC_INVOKE, IPC_MENU, IPC_STREAM, type StreamControl, type StreamMessage } from '../shared/transport'

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

/** The window a menu command is for: the one it was chosen in, else the focused one, else any. */
function targetWindow(chosenIn?: BaseWindow): BrowserWindow | undefined {
  if (chosenIn instanceof BrowserWindow) return chosenIn
  return BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
}

function sendMenuCommand(win: BrowserWindow | undefined, command: MenuCommand): void {
  if (win && !win.isDestroyed()) win.webContents.send(IPC_MENU, command)
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/**
 * File → Import… runs here rather than through the page's file input: a menu click is no user gesture in the
 * page, and Chromium opens a file chooser only on one. Same service call, same checks, as the renderer's import.
 */
async function importFromMenu(service: Service, win: BrowserWindow | undefined): Promise<void> {
  const options: OpenDialogOptions = {
    title: 'Import',
    properties: ['openFile'],
    filters: [{ name: 'Text, Markdown or Word', extensions: ['txt', 'md', 'markdown', 'docx'] }]
  }
  const choice = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
  const file = choice.filePaths[0]
  if (choice.canceled || !file) return
  const name = basename(file)
  let command: MenuCommand
  try {
    const { size } = await stat(file)
    if (size > MAX_IMPORT_BYTES) {
      command = {
        kind: 'import-failed',
        message: `Cannot import “${name}”: it is ${megabytes(size)}, over the ${megabytes(MAX_IMPORT_BYTES)} limit.`
      }
    } else {
      const base64 = (await readFile(file)).toString('base64')
      const envelope = await invokeEnveloped(service, 'import:document', { fileName: name, base64 })
      command = envelope.ok
        ? { kind: 'imported', document: envelope.value as ImportedDocument }
        : { kind: 'import-failed', message: envelope.error.message }
    }
  } catch (err) {
    command = { kind: 'import-failed', message: `Cannot read “${name}”: ${(err as Error).message}` }
  }
  sendMenuCommand(win ?? targetWindow(), command)
}

/**
 * The application menu. Commands that act on the document go to the renderer on one fixed channel. New, Import
 * and Export own their shortcuts here (the renderer handles those keys only where there is no menu, in browser
 * mode); the shortcuts of Save and of Where Is Something Missing? are only shown, since the page handles those
 * keys itself in both modes.
 */
function installMenu(service: Service): void {
  const isMac = process.platform === 'darwin'
  const command =
    (kind: 'new' | 'export' | 'save' | 'toggle-theme' | 'missing') =>
    (_item: unknown, win: BaseWindow | undefined): void => {
      const target = targetWindow(win)
      if (target) sendMenuCommand(target, { kind })
      else if (kind === 'new') createWindow()
    }
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Document', accelerator: 'CmdOrCtrl+N', click: command('new') },
        {
          label: 'Import…',
          accelerator: 'CmdOrCtrl+O',
          click: (_item, win) => void importFromMenu(service, targetWindow(win))
        },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: command('export') },
        { type: 'separator' },
        { label: 'Save Revision', accelerator: 'CmdOrCtrl+S', registerAccelerator: false, click: command('save') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' }
      ]
    },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'pasteAndMatchStyle' },
        { role: 'delete' },
        { type: 'separator' },
        { role: 'selectAll' }
      ]
    },
    {
      label: 'Draft',
      submenu: [
        {
          label: 'Where Is Something Missing?',
          accelerator: 'CmdOrCtrl+Shift+G',
          registerAccelerator: false,
          click: command('missing')
        }
      ]
    },
    {
      label: 'View',
      submenu: [
        { label: 'Toggle Dark Mode', click: command('toggle-theme') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ type: 'separator' } as const, { role: 'toggleDevTools' } as const])
      ]
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ role: 'about', label: 'About Inlay' }] }
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
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
    // Models the user adds go to <userData>/models/<name>/; the shipped ones sit beside the default.
    modelRoots: [join(app.getPath('userData'), 'models'), join(app.getAppPath(), 'models')],
    deliverExport: saveExport
  })
  serveApi(service)
  installMenu(service)
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
