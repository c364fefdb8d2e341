// Writing an export to disk: checked up front (before minutes of PDF layout) and written atomically, so a failed
// export never leaves a half-written file in place of a good one.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { ExportError } from './errors'

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the disk is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENAMETOOLONG: 'the name is too long'
}

function unwritable(file: string, error: unknown): ExportError {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  return new ExportError('unwritable', `Cannot write ${file}: ${REASONS[code] ?? (error as Error).message}.`)
}

/** Throws ExportError('unwritable') when `file` clearly cannot be written: missing folder, a folder, read-only. */
export async function checkOutputPath(file: string): Promise<void> {
  const target = path.resolve(file)
  const folder = path.dirname(target)
  const existing = await fs.stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw unwritable(file, error)
  })
  if (existing?.isDirectory()) {
    throw new ExportError('unwritable', `Cannot write ${file}: it is a folder; give a file name inside it.`)
  }
  try {
    const folderStat = await fs.stat(folder)
    if (!folderStat.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' })
    await fs.access(existing ? target : folder, fs.constants.W_OK)
  } catch (error) {
    throw unwritable(file, error)
  }
}

/** Writes `bytes` to `file` through a temporary file in the same folder, renamed over the target at the end. */
export async function writeExportFile(file: string, bytes: Uint8Array): Promise<void> {
  await checkOutputPath(file)
  const target = path.resolve(file)
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await fs.open(temporary, 'wx')
    try {
      await handle.writeFile(bytes)
      // On disk before the rename, so a crash leaves the old file or the new one, never an empty one.
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temporary, target)
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => undefined)
    throw unwritable(file, error)
  }
}
