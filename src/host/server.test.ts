import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolve } from 'node:path'
import WebSocket from 'ws'
import { createService, type Service } from '../core/service'
import type { GenerationEvent } from '../shared/contract'
import type { StoredDocument } from '../shared/documents'
import type { SocketMessage } from '../shared/transport'
import { startHost, type RunningHost } from './server'

let host: RunningHost
let service: Service
let dir: string

const serviceIn = (dataDir: string) =>
  createService({ host: 'web', version: '9.9.9', dataDir, modelDir: resolve('src/core/testdata/tiny-ilm') })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inlay-host-'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  service = serviceIn(join(dir, 'data'))
  host = await startHost({ service, rendererDir: dir })
})
afterAll(async () => {
  await host.close()
  await service.close()
  await rm(dir, { recursive: true, force: true })
})

const base = () => `http://127.0.0.1:${host.port}`
const bearer = () => ({ authorization: `Bearer ${host.token}` })

describe('web host', () => {
  it('listens on loopback only, on a fresh random token', async () => {
    expect(host.server.address()).toMatchObject({ address: '127.0.0.1' })
    expect(host.token.length).toBeGreaterThanOrEqual(32)
    const otherService = serviceIn(join(dir, 'other'))
    const other = await startHost({ service: otherService, rendererDir: dir })
    expect(other.token).not.toBe(host.token)
    await other.close()
    await otherService.close()
  })

  it('refuses every request without the token', async () => {
    expect((await fetch(`${base()}/`)).status).toBe(401)
    expect((await fetch(`${base()}/api/app:info`, { method: 'POST', body: '{}' })).status).toBe(401)
    expect((await fetch(`${base()}/?token=wrong`, { redirect: 'manual' })).status).toBe(401)
  })

  it('exchanges the URL token for a same-site cookie that opens the app', async () => {
    const first = await fetch(host.url, { redirect: 'manual' })
    expect(first.status).toBe(303)
    const cookie = first.headers.get('set-cookie') ?? ''
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const page = await fetch(`${base()}/`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>t</title>')
  })

  it('answers the contract and validates its payloads', async () => {
    const ok = await fetch(`${base()}/api/app:info`, { method: 'POST', headers: bearer(), body: '{}' })
    expect(await ok.json()).toEqual({ ok: true, value: { name: 'Inlay', version: '9.9.9', host: 'web' } })

    const extra = await fetch(`${base()}/api/app:info`, { method: 'POST', headers: bearer(), body: '{"x":1}' })
    expect(extra.status).toBe(400)
    expect(await extra.json()).toMatchObject({ ok: false, error: { code: 'invalid-request' } })

    const malformed = await fetch(`${base()}/api/app:info`, { method: 'POST', headers: bearer(), body: '{' })
    expect(malformed.status).toBe(400)

    const unknown = await fetch(`${base()}/api/nope`, { method: 'POST', headers: bearer(), body: '{}' })
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'unknown-channel' } })
  })

  it('refuses foreign Host headers and paths outside the renderer', async () => {
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: host.port, path: '/', headers: { ...bearer(), host: 'evil.example:80' } },
        (res) => resolve(res.statusCode ?? 0)
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(421)
    const traversal = await fetch(`${base()}/..%2f..%2fetc%2fpasswd`, { headers: bearer() })
    expect([403, 404]).toContain(traversal.status)
  })
})

const post = async (channel: string, body: unknown) => {
  const response = await fetch(`${base()}/api/${channel}`, {
    method: 'POST',
    headers: bearer(),
    body: JSON.stringify(body)
  })
  return (await response.json()) as { ok: boolean; value?: unknown; error?: { code: string } }
}

describe('web host streams', () => {
  it('refuses a WebSocket without the token or from another origin', async () => {
    for (const headers of [{}, { ...bearer(), origin: 'http://evil.example' }]) {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, { headers })
      const outcome = await new Promise<string>((done) => {
        ws.on('open', () => done('open'))
        ws.on('error', () => done('refused'))
        ws.on('unexpected-response', () => done('refused'))
      })
      expect(outcome).toBe('refused')
      ws.terminate()
    }
  })

  it('runs a generation on the real model: started, insertions, done; and a revision before it', async () => {
    const created = await post('documents:create', { content: { title: 'T', body: 'The old clock struck.', gaps: [] } })
    const doc = created.value as StoredDocument
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, {
      headers: { ...bearer(), origin: `http://127.0.0.1:${host.port}` }
    })
    await new Promise((done) => ws.on('open', done))
    const events: GenerationEvent[] = []
    const ended = new Promise<void>((done) =>
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as SocketMessage
        if ('event' in message) events.push(message.event as GenerationEvent)
        if ('end' in message) done()
      })
    )
    const content = { title: 'T', body: 'The old clock struck.', gaps: [{ id: 'g', from: 13, to: 13, max: 3 }] }
    const params = { temperature: 0, topP: 1, stopThreshold: 0.9, alternatives: 1, parallel: 1, maxTokens: 3 }
    ws.send(
      JSON.stringify({
        op: 'start',
        streamId: 's1',
        channel: 'generation:start',
        payload: { documentId: doc.id, content, params }
      })
    )
    await ended
    ws.close()
    expect(events[0]).toMatchObject({ type: 'started', provider: 'cpu' })
    const inserts = events.filter((e) => e.type === 'insert')
    expect(inserts.length).toBeGreaterThan(0)
    const done = events.at(-1)
    expect(done?.type).toBe('done')
    if (done?.type === 'done') expect(done.alternatives[0]!.text.startsWith('The old clock')).toBe(true)
    const revisions = await post('documents:revisions', { id: doc.id })
    expect(revisions.value).toMatchObject([{ reason: 'generation' }])
  })

  it('rejects a malformed generation request with a clear error and an end', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, {
      headers: { ...bearer(), origin: `http://127.0.0.1:${host.port}` }
    })
    await new Promise((done) => ws.on('open', done))
    const messages: SocketMessage[] = []
    const ended = new Promise<void>((done) =>
      ws.on('message', (data) => {
        messages.push(JSON.parse(String(data)) as SocketMessage)
        if ('end' in messages.at(-1)!) done()
      })
    )
    ws.send(
      JSON.stringify({
        op: 'start',
        streamId: 'bad',
        channel: 'generation:start',
        payload: { documentId: 'x', params: {} }
      })
    )
    await ended
    ws.close()
    expect(messages[0]).toMatchObject({ streamId: 'bad', error: { code: 'invalid-request' } })
  })
})
