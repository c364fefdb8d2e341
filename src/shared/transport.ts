// What travels between the renderer and the app, over Electron IPC and over HTTP/WebSocket alike.
import type { ApiError, StreamEvent } from './contract'

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError }

/** Messages of one stream, from the app to the renderer. `end` is always the last. */
export type StreamMessage = { event: StreamEvent } | { error: ApiError } | { end: true }

/** Messages from the renderer about one stream. */
export type StreamControl = { op: 'stop' }

/** Browser mode multiplexes streams over one WebSocket, keyed by the renderer's stream id. */
export type SocketRequest =
  { op: 'start'; streamId: string; channel: string; payload: unknown } | { op: 'stop'; streamId: string }
export type SocketMessage = { streamId: string } & StreamMessage

/** IPC channel names: requests travel inside the message, so main registers exactly these two. */
export const IPC_INVOKE = 'inlay:invoke'
export const IPC_STREAM = 'inlay:stream'
/** Electron only: main → renderer, the application menu's commands (see `MenuCommand`); nothing goes the other way. */
export const IPC_MENU = 'inlay:menu'
