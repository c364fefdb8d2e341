import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'

/** A fresh temp folder per call, removed after the test. */
export function useTempFolders(): () => string {
  const folders: string[] = []
  afterEach(() => {
    for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true })
  })
  return () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'inlay-store-'))
    folders.push(folder)
    return folder
  }
}

/** A clock the test moves by hand, so ordering and ages do not depend on timing. */
export function manualClock(start = 1_700_000_000_000) {
  let time = start
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms
    }
  }
}
