// The renderer's one way to reach the app: the preload's API in Electron; HTTP and a WebSocket to the loopback
// web host in browser mode (the launch token travels as a same-site cookie).
import { buildApi, type Invoke, type OpenStream } from '../../../shared/api-client'
import type { InlayApi } from '../../../shared/contract'
import type { SocketMessage, SocketRequest, StreamMessage } from '../../../shared/transport'

const invokeOverHttp: Invoke = async (channel, request) => {
  const response = await fetch(`/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(request)
  })
  return response.json()
}

function socketStreams(): OpenStream {
  let socket: WebSocket | null = null
  let opened: Promise<WebSocket> | null = null
  const listeners = new Map<string, (message: StreamMessage) => void>()
  let counter = 0

  function connect(): Promise<WebSocket> {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket)
    opened ??= new Promise((resolve, reject) => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`)
      ws.onopen = () => ((socket = ws), resolve(ws))
      ws.onerror = () => reject(new Error('Lost the connection to Inlay'))
      ws.onmessage = (e: MessageEvent<string>) => {
        const { streamId, ...message } = JSON.parse(e.data) as SocketMessage
        listeners.get(streamId)?.(message as StreamMessage)
        if ('end' in message) listeners.delete(streamId)
      }
      ws.onclose = () => {
        socket = null
        opened = null
        for (const listener of listeners.values()) {
          listener({ error: { code: 'unavailable', message: 'Lost the connection to Inlay' } })
          listener({ end: true })
        }
        listeners.clear()
      }
    })
    return opened
  }

  return (channel, payload, onMessage) => {
    const streamId = `s${++counter}`
    listeners.set(streamId, onMessage)
    const send = (request: SocketRequest) =>
      connect().then(
        (ws) => ws.send(JSON.stringify(request)),
        (err: Error) => {
          onMessage({ error: { code: 'unavailable', message: err.message } })
          onMessage({ end: true })
        }
      )
    void send({ op: 'start', streamId, channel, payload })
    return () => void send({ op: 'stop', streamId })
  }
}

export const api: InlayApi = window.inlay ?? buildApi(invokeOverHttp, socketStreams())
