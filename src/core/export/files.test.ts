import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkOutputPath, writeExportFile } from './files'

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'inlay-files-'))
afterAll(() => fs.rmSync(tempDir, { recursive: true, force: true }))
const isRoot = process.getuid?.() === 0

describe('writeExportFile', () => {
  it('writes the file and replaces an existing one, leaving no temporary file behind', async () => {
    const file = path.join(tempDir, 'story “1”.txt')
    await writeExportFile(file, new TextEncoder().encode('first'))
    await writeExportFile(file, new TextEncoder().encode('second'))
    expect(fs.readFileSync(file, 'utf8')).toBe('second')
    expect(fs.readdirSync(tempDir)).toEqual(['story “1”.txt'])
  })

  it('says why a path cannot be written', async () => {
    const notAFolder = path.join(tempDir, 'plain-file')
    fs.writeFileSync(notAFolder, '')
    const cases: [string, string][] = [
      [path.join(tempDir, 'missing', 'out.pdf'), 'the folder does not exist'],
      [tempDir, 'it is a folder; give a file name inside it'],
      [path.join(notAFolder, 'out.pdf'), 'a part of the path is a file, not a folder']
    ]
    for (const [file, reason] of cases) {
      await expect(writeExportFile(file, new Uint8Array(1))).rejects.toMatchObject({
        name: 'ExportError',
        reason: 'unwritable',
        message: `Cannot write ${file}: ${reason}.`
      })
    }
  })

  it.skipIf(isRoot)('refuses a folder without write permission (not testable as root)', async () => {
    const locked = path.join(tempDir, 'locked')
    fs.mkdirSync(locked, { mode: 0o500 })
    const file = path.join(locked, 'out.md')
    await expect(checkOutputPath(file)).rejects.toThrow(`Cannot write ${file}: permission denied.`)
    fs.chmodSync(locked, 0o700)
  })
})
