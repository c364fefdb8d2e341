// The `inlay` command as a writer runs it (`npm run --silent inlay -- …`): a real process, the bundled model.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultModelDir } from '../core/paths'

const TSX = join('node_modules', '.bin', 'tsx')

function inlay(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(TSX, ['src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('inlay fill with the bundled model', () => {
  it('ends an unbounded one-sentence gap by itself, near a sentence’s length', () => {
    const before = 'The rain had not stopped for three days. '
    const after = ' She put on her coat and walked to the station.'
    for (const seed of ['1', '2']) {
      const { status, stdout, stderr } = inlay('fill', `${before}{{}}${after}`, '--seed', seed, '--json')
      expect(status, stderr).toBe(0)
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        text: string
        gaps: { text: string; tokens: number; endReason: string }[]
        stopReason: string
      }
      expect(result.stopReason).toBe('stop')
      expect(result.gaps[0]!.endReason).toBe('model')
      expect(result.text).toBe(before + result.gaps[0]!.text + after)
      // A sentence is some 5–40 words: the gap ends well before the window's ~250 tokens.
      const words = result.gaps[0]!.text.split(/\s+/).filter(Boolean).length
      expect(words).toBeGreaterThanOrEqual(3)
      expect(words).toBeLessThanOrEqual(60)
    }
  }, 240_000)

  it('says how much it expects in a gap before generating', () => {
    const { status, stdout } = inlay(
      'estimate',
      'He opened the door. {{}} The room was dark.',
      '--model',
      defaultModelDir()
    )
    expect(status).toBe(0)
    expect(stdout).toMatch(/^g1: about \d+(\.\d)? tokens$/m)
  }, 120_000)

  it('refuses an impossible gap with a message and a non-zero exit', () => {
    const { status, stderr } = inlay('fill', 'A {{min:9,max:3}} b.')
    expect(status).not.toBe(0)
    expect(stderr).toMatch(/min.*max/i)
  }, 120_000)
})
