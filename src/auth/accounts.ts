import { eq } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import { schema, type Db } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import type { Argon2Params } from './password.js'
import { createSessionService, type SessionPolicy } from './session-service.js'
import { createLoginThrottle } from './login-throttle.js'
import { createLoginService } from './login-service.js'
import { createTotpService } from './totp.js'
import { createRecoveryCodes } from './recovery-codes.js'
import { createPasskeyService } from './passkeys.js'
import { createFactors } from './factors.js'
import { createFactorService } from './factor-service.js'
import { withEmergencyLinks } from './account-mail.js'
import { createStepUp } from './step-up.js'
import { createAccountService } from './account-service.js'
import { createAccountTokens } from './account-tokens.js'
import { createDevices } from './devices.js'
import { createApiTokens } from './api-tokens.js'
import { createSignupPolicy, type SignupMode } from './signup-policy.js'
import { createMeReader } from './me.js'
import type { AccountMailer } from './account-mail.js'

export type AccountsDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append' | 'appendIn'>
  alerts: Pick<Alerts, 'raise' | 'raiseIn'>
  mailer: AccountMailer
  /** Platform keys (secrets/): the CSRF HMAC key and the TOTP-seed key — never the vault's. */
  csrfKey: Buffer
  totpSeedKey: Buffer
  publicOrigin: string
  /** The address the server listens on (decides whether `auto` sign-up is open). */
  host: string
  signupMode: SignupMode
  sessionPolicy?: SessionPolicy
  passwordParams?: Argon2Params
  /** Tells the signer about a new passkey (it trusts it only after its delay). */
  onPasskeyAdded?: (userId: string, passkeyId: string) => Promise<void>
  onPasskeyRemoved?: (userId: string, credentialId: string) => Promise<void>
  /** Whether a workspace invitation admits this address to sign up where sign-up is closed (teams). */
  admitsInvitee?: (token: string, email: string) => Promise<boolean>
}

/** Every account service, wired once; main.ts and the tests build the same graph. */
export const createAccounts = (deps: AccountsDeps) => {
  const { db, clock, audit, alerts, publicOrigin } = deps
  const sessions = createSessionService({ db, clock, csrfKey: deps.csrfKey, audit, ...(deps.sessionPolicy ? { policy: deps.sessionPolicy } : {}) })
  const throttle = createLoginThrottle({ db, clock })
  const totp = createTotpService({ db, clock, seedKey: deps.totpSeedKey, alerts })
  const recovery = createRecoveryCodes({ db, clock })
  const passkeys = createPasskeyService({ db, clock, audit, alerts, rpId: new URL(publicOrigin).hostname, rpName: 'Bulwark', origin: publicOrigin })
  const factors = createFactors({ totp, recovery, passkeys })
  const tokens = createAccountTokens({ db, clock, publicOrigin })
  // Every security email carries a single-use emergency lockdown link (src/incident).
  const mailer = withEmergencyLinks(deps.mailer, tokens)
  const devices = createDevices({ db, clock })
  const signup = createSignupPolicy({ db, clock, configured: deps.signupMode, host: deps.host })
  const passwordParams = deps.passwordParams ? { passwordParams: deps.passwordParams } : {}
  const login = createLoginService({ db, clock, sessions, audit, alerts, throttle, devices, tokens, mailer, factors, passkeys, ...passwordParams })
  const stepUp = createStepUp({ db, sessions, factors, passkeys, throttle, audit })
  const accounts = createAccountService({ db, clock, audit, alerts, sessions, throttle, tokens, mailer, factors, signup, admitsInvitee: deps.admitsInvitee, ...passwordParams, ...(deps.onPasskeyRemoved ? { onPasskeyRemoved: deps.onPasskeyRemoved } : {}) })
  const factorService = createFactorService({ db, clock, sessions, totp, recovery, passkeys, factors, mailer, audit, alerts, ...(deps.onPasskeyAdded ? { onPasskeyAdded: deps.onPasskeyAdded } : {}), ...(deps.onPasskeyRemoved ? { onPasskeyRemoved: deps.onPasskeyRemoved } : {}) })
  const apiTokens = createApiTokens({ db, clock, audit, mailer })
  const isOperator = async (userId: string) => {
    const [u] = await db.select({ isOperator: schema.users.isOperator }).from(schema.users).where(eq(schema.users.id, userId)).limit(1)
    return u?.isOperator === true
  }
  const me = createMeReader({ db, clock })
  return { me, sessions, throttle, totp, recovery, passkeys, factors, tokens, devices, signup, login, stepUp, accounts, factorService, apiTokens, isOperator }
}
export type Accounts = ReturnType<typeof createAccounts>
