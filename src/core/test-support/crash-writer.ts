// Child process of crash.test.ts: writes drafts and saves to one document as fast as it can, printing each
// sequence number once its write has committed, until the test kills it with SIGKILL.
// Usage: node --import tsx crash-writer.ts <folder> <first sequence> [document id]
import fs from 'node:fs'
import { crashContent } from './crash-content'
import { DocumentStore } from '../store/document-store'

const [folder, first, existingId] = process.argv.slice(2)
const store = DocumentStore.open(folder)
const id = existingId ?? store.create(crashContent(0)).id
/** Synchronous, so a line the test reads is never ahead of (or behind) the write it reports. */
const report = (line: string) => fs.writeSync(1, `${line}\n`)
report(`ready ${id}`)

for (let sequence = Number(first); ; sequence++) {
  if (sequence % 3 === 0) {
    store.save(id, crashContent(sequence))
    report(`save ${sequence}`)
  } else {
    store.saveDraft(id, crashContent(sequence))
    report(`draft ${sequence}`)
  }
}
