/**
 * Which external services the suites can use. Outside CI a missing service skips its suites with a
 * visible line; with CI=true a missing service fails the run (a green CI must have run everything).
 */
export const isCi = process.env.CI === 'true' || process.env.CI === '1'
export const postgresUrl = process.env.DATABASE_URL || undefined
export const redisUrl = process.env.REDIS_URL || undefined
