// kill -9 at a random moment loses at most the write in flight and never a saved document: a real child process
// writes drafts and saves in a tight loop and is killed with SIGKILL, five times over the same database.
import { spawn } from 'node:child_process'
import path from 'node:path'
import Database from 'libsql'
import { describe, expect, it } from 'vitest'
import { crashContent, sequenceOf } from '../test-support/crash-content'
import { DocumentStore } from './document-store'
import { useTempFolders } from '../test-support/store-helpers'

const tempFolder = useTempFolders()
const WRITER = path.join(import.meta.dirname, '../test-support/crash-writer.ts')
const ROOT = path.resolve(import.meta.dirname, '../../..')

interface Round {
  documentId: string
  /** Sequence numbers the child reported as committed, in order. */
  drafts: number[]
  saves: number[]
  last: number
}

/**
 * Runs the writer until `killAfterMs` after its first committed write (so every round has something to check),
 * then kills it with SIGKILL and collects its reports.
 */
function runWriter(folder: string, first: number, killAfterMs: number, documentId?: string): Promise<Round> {
  return new Promise((resolve, reject) => {
    // node --import tsx, not the tsx launcher: the launcher runs the script in a grandchild that SIGKILL would miss.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WRITER, folder, String(first), ...(documentId ? [documentId] : [])],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe']
      }
    )
    const round: Round = { documentId: documentId ?? '', drafts: [], saves: [], last: 0 }
    let buffered = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? '' // a line cut by the kill is not a report
      for (const line of lines) {
        const [kind, value] = line.split(' ')
        if (kind === 'ready') {
          round.documentId = value
          continue
        }
        if (round.last === 0) setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        const sequence = Number(value)
        ;(kind === 'save' ? round.saves : round.drafts).push(sequence)
        round.last = sequence
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(round)
      else reject(new Error(`crash writer exited with ${code ?? signal} before the kill:\n${stderr}`))
    })
  })
}

describe('crash safety', () => {
  it('survives kill -9 mid-write: integrity ok, every reported save intact, draft at most one write behind', async () => {
    const folder = tempFolder()
    const delays = [15, 40, 90, 160, 260].map((ms) => ms + Math.floor(Math.random() * 30))
    let documentId: string | undefined
    let next = 1
    const savesSoFar = new Set<number>()

    for (const delay of delays) {
      const round = await runWriter(folder, next, delay, documentId)
      documentId = round.documentId
      const context = `kill after ${delay} ms (delays ${delays.join(', ')}), reports up to ${round.last}`
      expect(round.last, context).toBeGreaterThanOrEqual(next)
      round.saves.forEach((sequence) => savesSoFar.add(sequence))

      const db = new Database(path.join(folder, 'inlay-documents.db'))
      expect(db.prepare('PRAGMA integrity_check').raw().all(), context).toEqual([['ok']])
      db.close()

      const store = DocumentStore.open(folder)
      try {
        // The draft is the last reported write, or the one after it if that committed before the kill.
        const current = store.get(documentId)
        const draft = sequenceOf(current.title)
        expect([round.last, round.last + 1], context).toContain(draft)
        expect({ title: current.title, body: current.body, gaps: current.gaps }, context).toEqual(crashContent(draft))

        // Every reported save, of this round and earlier ones, is there with its exact content; at most the
        // unreported write in flight adds one more.
        const saved = store.revisions(documentId).filter((revision) => revision.reason === 'save')
        const savedSequences = new Set(saved.map((revision) => sequenceOf(revision.title)))
        for (const sequence of savesSoFar)
          expect(savedSequences.has(sequence), `${context}: save ${sequence}`).toBe(true)
        for (const sequence of savedSequences) {
          if (!savesSoFar.has(sequence)) expect(sequence, context).toBe(round.last + 1)
        }
        for (const revision of saved.filter((r) => sequenceOf(r.title) >= next)) {
          const { title, body, gaps } = store.revision(revision.id)
          expect({ title, body, gaps }, context).toEqual(crashContent(sequenceOf(revision.title)))
        }
        if (savedSequences.has(round.last + 1)) savesSoFar.add(round.last + 1)
      } finally {
        store.close()
      }
      next = round.last + 2
    }
  })
})
