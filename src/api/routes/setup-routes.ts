import { claimSetupBody, claimSetupResult, setupStatus, type OperatorSetup } from '../../auth/index.js'
import type { App } from '../app-types.js'

/** Claiming a new instance with the one-time token printed at first start. */
export const setupRoutes = (app: App, { setup }: { setup: Pick<OperatorSetup, 'needsSetup' | 'claim'> }) => {
  app.get('/api/setup', { schema: { tags: ['setup'], response: { 200: setupStatus } } }, async () => ({ needsSetup: await setup.needsSetup() }))

  app.post('/api/setup', { schema: { tags: ['setup'], body: claimSetupBody, response: { 201: claimSetupResult } } }, async (req, reply) =>
    reply.code(201).send(await setup.claim(req.body, { ip: req.ip, requestId: req.id })),
  )
}
