// First: zod must be jitless before the schemas below are built (see zod-jitless.ts).
import './zod-jitless'

/** The trading API's zod schemas for the web app: import them from here, never from src/ directly. */
export * from '../../../../src/trading/trading-api-types'
