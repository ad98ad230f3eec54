import { join } from 'node:path'
import { Secret, TOTP } from 'otpauth'
import { startBinanceEmulator, type BinanceEmulator } from '../emulator/binance-emulator.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from './cli.js'

/**
 * The platform a new user meets in the end-to-end journey (test/e2e/journey.test.ts): the real
 * `bulwark start` from dist/ (api, signer process, demo exchange on the bundled replay) with an
 * operator made by `bulwark init`, and the Binance emulator holding two keys of the same person —
 * a good one (read + trade, IP-restricted to this machine) and one that can withdraw.
 */
export type JourneyPlatform = {
  base: string
  env: Record<string, string>
  emulator: BinanceEmulator
  keys: { good: { apiKey: string; secret: string }; withdraw: { apiKey: string; secret: string } }
  operator: { email: string; password: string }
  proc: Running
  /** SIGTERM, and the exit code (0 when everything shut down cleanly). */
  stop: () => Promise<number | null>
  /** For afterAll: whatever is still running, gone. */
  kill: () => Promise<void>
}

export const OPERATOR = { email: 'ops@example.com', password: 'a long enough passphrase for the operator' }
/** The egress address the platform says keys must be restricted to (shown in the connect guide). */
export const EGRESS_IP = '203.0.113.7'

export const startJourneyPlatform = async (dir: string): Promise<JourneyPlatform> => {
  const keys = {
    good: { apiKey: randomApiKey(), secret: randomHmacSecret() },
    withdraw: { apiKey: randomApiKey(), secret: randomHmacSecret() },
  }
  const emulator = await startBinanceEmulator({
    accounts: [
      { ...keys.good, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } },
      { ...keys.withdraw, ipRestrict: true, ipWhitelist: ['127.0.0.1'], permissions: { enableWithdrawals: true }, balances: { USDT: '1000' } },
    ],
  })
  const port = await freePort()
  const base = `http://localhost:${port}`
  const env = {
    BULWARK_HOME: join(dir, 'home'),
    PORT: String(port),
    PUBLIC_ORIGIN: base,
    BULWARK_EXCHANGE_ENDPOINTS: JSON.stringify({ binance: emulator.url }),
    BULWARK_EGRESS_IPS: EGRESS_IP,
    // Ten minutes of the bundled BTC/USDT replay a second: a 0.3 % target is reached within the test.
    MARKET_REPLAY_SPEED: '600',
    UNLOCK_COOLING_OFF_SECONDS: '5',
    // A new person signs up on their own (open is also what `auto` means on this loopback binding).
    SIGNUP: 'open',
  }
  const proc = spawnBulwark(['start'], env)
  try {
    await waitForReady(`${base}/readyz`, proc)
    const init = await runBulwark(['init', '--email', OPERATOR.email, '--password-stdin'], env, `${OPERATOR.password}\n`)
    if (init.code !== 0) throw new Error(`bulwark init failed: ${init.stderr}`)
  } catch (err) {
    proc.child.kill('SIGKILL')
    await emulator.close()
    throw err
  }
  return {
    base,
    env,
    emulator,
    keys,
    operator: OPERATOR,
    proc,
    stop: async () => {
      proc.child.kill('SIGTERM')
      const code = await proc.exited
      await emulator.close()
      return code
    },
    kill: async () => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL')
      await emulator.close().catch(() => undefined)
    },
  }
}

type Email = { to: string; subject: string; text: string }

/** The outbox through the running instance's admin socket (`bulwark outbox`), newest first. */
export const readOutbox = async (env: Record<string, string>): Promise<Email[]> => {
  const run = await runBulwark(['outbox'], env)
  if (run.code !== 0) throw new Error(`bulwark outbox failed: ${run.stderr}`)
  return run.stdout
    .split(/^--- /m)
    .slice(1)
    .map((block) => {
      const [head = '', ...body] = block.split('\n')
      const match = /^\S+ to (\S+): (.*)$/.exec(head)
      return { to: match?.[1] ?? '', subject: match?.[2] ?? '', text: body.join('\n') }
    })
}

/** The newest emailed link to `path` (e.g. "/verify-email") sent to `to`; undefined while none came. */
export const newestLink = async (env: Record<string, string>, to: string, path: string): Promise<string | undefined> => {
  const pattern = new RegExp(`https?://\\S+${path}#token=[A-Za-z0-9_-]{43}`)
  for (const mail of await readOutbox(env)) {
    if (mail.to !== to) continue
    const link = pattern.exec(mail.text)?.[0]
    if (link !== undefined) return link
  }
  return undefined
}

/**
 * Authenticator-app codes for one secret, each at a later time step than the last (the server refuses
 * a step at or before the last one used, R23). It accepts one step ahead, so a code is ready at once or
 * after waiting for the clock to reach the step before it.
 */
export const totpCodes = (secret: string) => {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })
  let lastStep = Math.floor(Date.now() / 30_000) - 1
  return async (): Promise<string> => {
    const step = Math.max(lastStep + 1, Math.floor(Date.now() / 30_000))
    while (Math.floor(Date.now() / 30_000) + 1 < step) await new Promise((resolve) => setTimeout(resolve, 500))
    lastStep = step
    return totp.generate({ timestamp: step * 30_000 + 1_000 })
  }
}
