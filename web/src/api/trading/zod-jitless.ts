import { z } from 'zod'

/**
 * The api serves the dashboard under a CSP without 'unsafe-eval'. zod probes `new Function` when it
 * builds an object schema (to compile a fast parser), and a strict CSP reports that probe as a
 * violation even though zod catches it. So zod runs jitless in the web app, switched on before any
 * schema is built: `schemas.ts` imports this module before the schemas.
 */
z.config({ jitless: true })
