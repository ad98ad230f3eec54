import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { App } from './app-types.js'
import { createEventStreams } from './event-stream.js'

const apps: App[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

/** A real server whose stream route takes `authMs` to authorize, like the database-backed guards do. */
const serve = async (authMs: number, maxPerCaller = 10) => {
  // Streams hold their connections: close them with the app, as the real server does at shutdown.
  const app = Fastify({ forceCloseConnections: true }) as unknown as App
  apps.push(app)
  const streams = createEventStreams(app, { heartbeatMs: 20, maxStreamMs: 60_000, maxPerCaller })
  const cleaned: string[] = []
  app.get('/stream/:caller', { preValidation: async () => new Promise((resolve) => setTimeout(resolve, authMs)) }, async (req, reply) => {
    const caller = (req.params as { caller: string }).caller
    const stream = streams.open(reply, caller)
    stream.onClose(() => cleaned.push(caller))
    stream.send('hello', { caller })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  return { streams, cleaned, port }
}

/** Opens a stream; resolves with its status once the head arrives; `abortAfterMs` drops the connection. */
const get = (port: number, path: string, abortAfterMs?: number) =>
  new Promise<number | 'aborted'>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => resolve(res.statusCode ?? 0))
    req.on('error', () => resolve('aborted'))
    req.end()
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs)
  })

describe('server-sent event streams', () => {
  it('cleans up a stream whose client left while it was being authorized', async () => {
    const { streams, cleaned, port } = await serve(150)
    expect(await get(port, '/stream/alice', 30)).toBe('aborted')
    await expect.poll(() => cleaned, { timeout: 2_000 }).toEqual(['alice'])
    expect(streams.openCount('alice')).toBe(0)
  })

  it('cleans up when the client goes away later, and limits how many streams one caller holds', async () => {
    const { streams, cleaned, port } = await serve(0, 2)
    expect(await get(port, '/stream/bob')).toBe(200)
    expect(await get(port, '/stream/bob')).toBe(200)
    await expect.poll(() => streams.openCount('bob')).toBe(2)
    expect(await get(port, '/stream/bob')).toBe(429) // RATE_LIMITED
    expect(await get(port, '/stream/carol')).toBe(200) // others are not affected
    await apps.pop()?.close()
    await expect.poll(() => [...cleaned].sort(), { timeout: 2_000 }).toEqual(['bob', 'bob', 'carol'])
    expect(streams.openCount('bob')).toBe(0)
  })
})
