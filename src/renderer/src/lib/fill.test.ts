import { describe, expect, it } from 'vitest'
import type { FilledAlternative, InsertionEventData } from '../../../shared/contract'
import type { GapMark } from '../../../shared/documents'
import { fillLayout } from '../../../shared/segments'
import { alternativeCount, applyChanges, eventsOf, FillText, netChanges, replay } from './fill'
// A real run of the tiny test model: three gaps (one rewrite with a required word), 2 alternatives, parallel 2.
import run from './testdata/run.json'

const content = run.content as { title: string; body: string; gaps: GapMark[] }
const events = run.events as InsertionEventData[]
const alternatives = run.alternatives as FilledAlternative[]
const layout = fillLayout(content)

describe('replay', () => {
  it('rebuilds each alternative exactly as the engine reported it', () => {
    expect(alternativeCount(events)).toBe(2)
    for (const [a, alt] of alternatives.entries()) {
      const fill = replay(layout, events, a)
      expect(fill.text()).toBe(alt.text)
      expect(fill.texts).toEqual(alt.gaps.map((g) => g.text))
      for (const [i, span] of fill.spans().entries()) {
        expect(fill.text().slice(span.from, span.to)).toBe(alt.gaps[i]!.text)
      }
    }
  })

  it('grows the text one insertion at a time; step 0 is the fixed text and fixed text never changes', () => {
    const own = eventsOf(events, 0)
    expect(replay(layout, events, 0, 0).text()).toBe('The fox ran. . The end.')
    let previous = layout.text.length
    for (let k = 1; k <= own.length; k++) {
      const fill = replay(layout, events, 0, k)
      expect(fill.text().length).toBe(previous + own[k - 1]!.text.length)
      previous = fill.text().length
      // Removing every gap's text leaves the fixed text.
      let fixed = fill.text()
      for (const span of fill.spans().reverse()) fixed = fixed.slice(0, span.from) + fixed.slice(span.to)
      expect(fixed).toBe(layout.text)
    }
  })

  it('refuses an insertion outside its gap', () => {
    const fill = new FillText(layout)
    expect(() => fill.apply({ gapId: 'g1', charOffset: 0, text: 'x' })).toThrow(/outside gap/)
    expect(() => fill.apply({ gapId: 'nope', charOffset: 7, text: 'x' })).toThrow(/unknown gap/)
  })
})

describe('isShownBy', () => {
  const shown = (text: string) => ({
    length: text.length,
    sliceString: (from: number, to: number) => text.slice(from, to)
  })

  it('holds for exactly the text, and fails for a change anywhere, in the fixed text or in a gap', () => {
    const fill = replay(layout, events, 0, 6)
    const text = fill.text()
    expect(fill.isShownBy(shown(text))).toBe(true)
    expect(new FillText(layout).isShownBy(shown(layout.text))).toBe(true)
    // The fixed text after the last gap lost a character: same gaps, shorter text.
    expect(fill.isShownBy(shown(text.slice(0, -1)))).toBe(false)
    // One word of fixed text changed, the length unchanged.
    expect(fill.isShownBy(shown(text.replace(' ran.', ' run.')))).toBe(false)
    // The fixed character before gap 1 moved to after its text: same length, same characters.
    const [span] = fill.spans()
    const { from, to } = span!
    const moved = text.slice(0, from - 1) + text.slice(from, to) + text[from - 1] + text.slice(to)
    expect(moved).not.toBe(text)
    expect(fill.isShownBy(shown(moved))).toBe(false)
  })
})

describe('swapping alternatives and replay positions', () => {
  it('turns one alternative into another with changes in the current text', () => {
    const first = replay(layout, events, 0)
    const second = replay(layout, events, 1)
    const changes = first.changesTo(second.texts)
    expect(applyChanges(first.text(), changes)).toBe(second.text())
    // Back to an earlier point of the timeline, and forward again.
    const early = replay(layout, events, 1, 3)
    expect(applyChanges(second.text(), second.changesTo(early.texts))).toBe(early.text())
    expect(applyChanges(early.text(), early.changesTo(second.texts))).toBe(second.text())
    expect(first.changesTo(first.texts)).toEqual([])
  })
})

describe('netChanges', () => {
  it('takes the draft before the run to the accepted texts in one change, leaving rejected gaps alone', () => {
    const final = replay(layout, events, 0)
    const finals = new Map<string, string | null>(final.gapIds.map((id, i) => [id, final.texts[i]!]))
    expect(applyChanges(content.body, netChanges(content, finals))).toBe(alternatives[0]!.text)
    finals.set('g2', null)
    const partial = applyChanges(content.body, netChanges(content, finals))
    expect(partial).toContain('Old words here')
    expect(partial.startsWith('The fox' + final.texts[0])).toBe(true)
  })
})
