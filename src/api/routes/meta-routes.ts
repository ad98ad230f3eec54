import { z } from 'zod'
import type { App } from '../app-types.js'

export const versionBody = z.object({ name: z.literal('bulwark'), version: z.string() })

export const metaRoutes = (app: App, { version }: { version: string }) => {
  app.get('/api/version', { schema: { tags: ['meta'], response: { 200: versionBody } } }, async () => ({ name: 'bulwark' as const, version }))
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
