// The one IPC contract between the renderer and the app (Electron main or the web host).
// Each channel names its request schema and response type; both transports validate requests with
// the same schemas before any handler runs.
import { z } from 'zod'

export const AppInfoRequest = z.object({}).strict()

export interface AppInfo {
  name: string
  version: string
  /** Where the API is served from: the Electron main process or the loopback web host. */
  host: 'electron' | 'web'
}

export const channels = {
  'app:info': AppInfoRequest
} as const

export type Channel = keyof typeof channels
export type RequestOf<C extends Channel> = z.infer<(typeof channels)[C]>

export interface ResponseMap {
  'app:info': AppInfo
}

/** What the renderer sees as `window.inlay` (Electron) or the web client (browser mode). */
export interface InlayApi {
  app: {
    info(): Promise<AppInfo>
  }
}

/** Errors crossing the transport boundary keep only a code and a message. */
export interface ApiError {
  code: 'invalid-request' | 'unknown-channel' | 'internal'
  message: string
}
