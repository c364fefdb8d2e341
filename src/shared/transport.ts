// The envelope every request travels in, over Electron IPC and over HTTP alike.
import type { ApiError } from './contract'

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError }

/** The single IPC channel name; the contract channel travels inside the message. */
export const IPC_INVOKE = 'inlay:invoke'
