// One error type for everything the user can get wrong when exporting or importing, so the app and the CLI can show
// `message` as is; `reason` lets a caller pick a different wording or icon without parsing the message.
export type ExportErrorReason =
  'empty' | 'too-large' | 'unsupported' | 'corrupt' | 'unreadable' | 'unwritable' | 'font-missing' | 'invalid'

export class ExportError extends Error {
  constructor(
    readonly reason: ExportErrorReason,
    message: string
  ) {
    super(message)
    this.name = 'ExportError'
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}
