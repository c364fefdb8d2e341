// Runs an engine generator to its end: what it yielded, in order, and what it returned.
export async function drain<Y, R>(gen: AsyncGenerator<Y, R>): Promise<{ events: Y[]; result: R }> {
  const events: Y[] = []
  for (;;) {
    const next = await gen.next()
    if (next.done) return { events, result: next.value }
    events.push(next.value)
  }
}
