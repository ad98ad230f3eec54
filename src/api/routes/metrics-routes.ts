import { AppError } from '../../lib/errors.js'
import { isMetricsToken, type Metrics } from '../../monitoring/index.js'
import type { App } from '../app-types.js'

/**
 * `GET /metrics` for Prometheus: a bearer token of its own (never a session or an API token, so no
 * cookie and no CSRF), compared in constant time. The scrape reads totals from the database; nothing
 * in the answer is secret, but it tells an attacker what runs, so it is not public.
 */
export const metricsRoutes = (app: App, { metrics, token }: { metrics: Pick<Metrics, 'render' | 'contentType'>; token: string }) => {
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!isMetricsToken(token, req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"')
      throw new AppError('UNAUTHENTICATED', 'the metrics endpoint needs its bearer token (METRICS_TOKEN_FILE, or secrets/metrics.token under BULWARK_HOME)')
    }
    return reply.type(metrics.contentType).send(await metrics.render())
  })
}
