// Loopback web host: serves the built renderer and the same API as Electron main, over HTTP.
// Bound to 127.0.0.1 only; every request needs the per-launch token, given once in the URL
// (`/?token=…`, exchanged for a same-site cookie) or as `Authorization: Bearer …`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import { invokeEnveloped } from '../core/envelope'
import type { Service } from '../core/service'

const COOKIE = 'inlay_token'
const MAX_BODY_BYTES = 1 << 20

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json'
}

export interface HostOptions {
  service: Service
  rendererDir: string
  port?: number
  token?: string
}

export interface RunningHost {
  server: Server
  token: string
  port: number
  url: string
  close(): Promise<void>
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === COOKIE) return rest.join('=')
  }
  return undefined
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer'
  })
  res.end(body)
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new Error(`Request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  return text.length === 0 ? {} : JSON.parse(text)
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  let port = 0

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Refuse other Host names so a rebound DNS name cannot reach the API from a web page.
    const hostHeader = req.headers.host ?? ''
    if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`) {
      return send(res, 421, 'Misdirected request')
    }
    const url = new URL(req.url ?? '/', `http://${hostHeader}`)

    const queryToken = url.searchParams.get('token') ?? undefined
    if (sameToken(queryToken, token)) {
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store'
      })
      return void res.end()
    }
    const bearer = req.headers.authorization?.replace(/^Bearer /, '')
    if (!sameToken(cookieToken(req), token) && !sameToken(bearer, token)) {
      return send(res, 401, 'Inlay: open the address printed by `npm run serve` (it carries the launch token).')
    }

    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(res, 405, 'Use POST')
      let payload: unknown
      try {
        payload = await readJsonBody(req)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        const envelope = { ok: false, error: { code: 'invalid-request', message: `Bad request body: ${message}` } }
        return send(res, 400, JSON.stringify(envelope), 'application/json')
      }
      const envelope = await invokeEnveloped(options.service, url.pathname.slice('/api/'.length), payload)
      return send(res, envelope.ok ? 200 : 400, JSON.stringify(envelope), 'application/json')
    }

    if (req.method !== 'GET') return send(res, 405, 'Use GET')
    const relative = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname))
    const file = join(options.rendererDir, relative)
    if (!file.startsWith(options.rendererDir + sep)) return send(res, 403, 'Forbidden')
    try {
      const body = await readFile(file)
      send(res, 200, body, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream')
    } catch {
      send(res, 404, 'Not found')
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('[inlay host]', err)
      if (!res.headersSent) send(res, 500, 'Internal error')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  port = (server.address() as AddressInfo).port
  return {
    server,
    token,
    port,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
  }
}
