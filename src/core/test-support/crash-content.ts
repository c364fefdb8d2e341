// The content the crash test's writer stores at each sequence number: deterministic, so the test can check every
// committed write byte for byte, and large enough (tens of KB) that a kill often lands in the middle of a write.
import type { DocumentContent } from '../../shared/documents'

export function crashContent(sequence: number): DocumentContent {
  const line = `Write ${sequence}: the keeper climbed the stairs — «encore» 🙂.\n\n`
  const body = line.repeat(200 + ((sequence * 7919) % 800))
  const middle = Math.floor(body.length / 2)
  return {
    title: `Crash ${sequence}`,
    body,
    gaps: [
      { id: `g${sequence}`, from: line.length, to: line.length, max: sequence % 50 },
      { id: 'rewrite', from: middle - (middle % line.length), to: middle - (middle % line.length) + 5 }
    ]
  }
}

/** The sequence number a stored title carries. */
export function sequenceOf(title: string): number {
  return Number(title.replace('Crash ', ''))
}
