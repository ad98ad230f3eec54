import { eq } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import { schema, type Db } from '../db/index.js'

const { instanceSettings } = schema

export type SignupMode = 'auto' | 'open' | 'invite'

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)

/**
 * Who may create an account after the operator: `open`, `invite` (nobody until the teams feature sends
 * invitations) or `auto` — open only while the server listens on loopback, where only this machine's
 * users can reach it. The operator's run-time choice (stored) wins over the SIGNUP variable.
 */
export const createSignupPolicy = ({ db, clock, configured, host }: { db: Db; clock: Clock; configured: SignupMode; host: string }) => {
  const mode = async (): Promise<SignupMode> => {
    const [row] = await db.select({ value: instanceSettings.value }).from(instanceSettings).where(eq(instanceSettings.key, 'signup')).limit(1)
    const stored = (row?.value as { mode?: SignupMode } | undefined)?.mode
    return stored ?? configured
  }
  const isOpen = async (): Promise<boolean> => {
    const m = await mode()
    return m === 'open' || (m === 'auto' && isLoopback(host))
  }
  const setMode = async (m: SignupMode) => {
    const now = clock.now()
    await db.insert(instanceSettings).values({ key: 'signup', value: { mode: m }, updatedAt: now }).onConflictDoUpdate({ target: instanceSettings.key, set: { value: { mode: m }, updatedAt: now } })
  }
  return { mode, isOpen, setMode }
}
export type SignupPolicy = ReturnType<typeof createSignupPolicy>
