// Loopback web host: serves the built renderer and the same API as Electron main: requests over HTTP, streams
// (generation) over one WebSocket per page.
// Bound to 127.0.0.1 only; every request needs the per-launch token, given once in the URL
// (`/?token=…`, exchanged for a same-site cookie) or as `Authorization: Bearer …`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { invokeEnveloped, startStream } from '../core/envelope'
import { MAX_REQUEST_BYTES, MAX_SOCKET_MESSAGE_BYTES } from '../shared/limits'
import type { SocketMessage, SocketRequest } from '../shared/transport'
import type { Service } from '../core/service'

const COOKIE = 'inlay_token'

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
    if (size > MAX_REQUEST_BYTES) throw new Error(`Request body over ${MAX_REQUEST_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  return text.length === 0 ? {} : JSON.parse(text)
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  let port = 0

  /** Refuses other Host names, so a rebound DNS name cannot reach the API from a web page. */
  function foreignHost(req: IncomingMessage): boolean {
    const host = req.headers.host ?? ''
    return host !== `127.0.0.1:${port}` && host !== `localhost:${port}`
  }

  function hasToken(req: IncomingMessage): boolean {
    const bearer = req.headers.authorization?.replace(/^Bearer /, '')
    return sameToken(cookieToken(req), token) || sameToken(bearer, token)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (foreignHost(req)) return send(res, 421, 'Misdirected request')
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    if (sameToken(url.searchParams.get('token') ?? undefined, token)) {
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store'
      })
      return void res.end()
    }
    if (!hasToken(req)) {
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

  // Streams: one socket per page; the page starts and stops streams by id.
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES })
  server.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin
    const sameOrigin = origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
    if (foreignHost(req) || !hasToken(req) || !sameOrigin || new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws))
  })

  function serveSocket(ws: WebSocket): void {
    const stops = new Map<string, () => void>()
    ws.on('message', (data) => {
      let request: SocketRequest
      try {
        request = JSON.parse(String(data)) as SocketRequest
        if (typeof request.streamId !== 'string' || (request.op !== 'start' && request.op !== 'stop'))
          throw new Error('bad')
      } catch {
        return ws.close(1003, 'Malformed stream request')
      }
      const { streamId } = request
      if (request.op === 'stop') return stops.get(streamId)?.()
      if (stops.has(streamId)) return
      const post = (message: object) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ streamId, ...message } as SocketMessage))
        if ('end' in message) stops.delete(streamId)
      }
      stops.set(streamId, () => {})
      stops.set(streamId, startStream(options.service, request.channel, request.payload, post))
    })
    // A closed page stops its runs, as a closed Electron port does.
    ws.on('close', () => {
      for (const stop of stops.values()) stop()
      stops.clear()
    })
  }

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
    close: () =>
      new Promise((resolve, reject) => {
        for (const client of sockets.clients) client.terminate()
        sockets.close()
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      })
  }
}
