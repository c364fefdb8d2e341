import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createService } from '../core/service'
import { startHost, type RunningHost } from './server'

let host: RunningHost
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inlay-host-'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  host = await startHost({ service: createService({ host: 'web', version: '9.9.9' }), rendererDir: dir })
})
afterAll(async () => {
  await host.close()
  await rm(dir, { recursive: true, force: true })
})

const base = () => `http://127.0.0.1:${host.port}`
const bearer = () => ({ authorization: `Bearer ${host.token}` })

describe('web host', () => {
  it('listens on loopback only, on a fresh random token', async () => {
    expect(host.server.address()).toMatchObject({ address: '127.0.0.1' })
    expect(host.token.length).toBeGreaterThanOrEqual(32)
    const other = await startHost({ service: createService({ host: 'web', version: '0' }), rendererDir: dir })
    expect(other.token).not.toBe(host.token)
    await other.close()
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
