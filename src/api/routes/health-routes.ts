import { z } from 'zod'
import type { App } from '../app-types.js'

export type ReadinessCheck = () => Promise<'ok' | string>

const readyBody = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), z.string()) })

/** /healthz: the process is alive. /readyz: every dependency answers (database now, the signer later). */
export const healthRoutes = (app: App, { checks }: { checks: Record<string, ReadinessCheck> }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', { schema: { tags: ['health'], response: { 200: readyBody, 503: readyBody } } }, async (_req, reply) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          return [name, await check()] as const
        } catch {
          return [name, 'unreachable'] as const
        }
      }),
    )
    const result = Object.fromEntries(entries)
    const ready = entries.every(([, v]) => v === 'ok')
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: result })
  })
}
