import type { AuthenticationResponseJSON } from '@simplewebauthn/server'
import { AppError } from '../lib/errors.js'
import type { TotpService } from './totp.js'
import type { RecoveryCodes } from './recovery-codes.js'
import type { PasskeyService } from './passkeys.js'
import type { AuthFactor } from './session-service.js'

/** A proof of a second factor, as the login ticket step and step-up accept it. */
export type SecondFactorProof = { totp: string } | { recoveryCode: string } | { passkey: AuthenticationResponseJSON }

export type FactorSummary = { totp: boolean; passkeys: number; recoveryCodesLeft: number }
export type SecondFactorMethod = 'totp' | 'passkey' | 'recovery_code'

export type FactorDeps = {
  totp: Pick<TotpService, 'verify' | 'status'>
  recovery: Pick<RecoveryCodes, 'consume' | 'remaining'>
  passkeys: Pick<PasskeyService, 'verifyAuthentication' | 'count'>
}

export const hasSecondFactor = (s: FactorSummary) => s.totp || s.passkeys > 0

/**
 * The user's second factors in one place, for sign-in and step-up alike. Recovery codes are not a
 * factor of their own: they stand in for a lost one, so they count only beside a real one.
 */
export const createFactors = ({ totp, recovery, passkeys }: FactorDeps) => {
  const summary = async (userId: string): Promise<FactorSummary> => ({
    totp: (await totp.status(userId)).enabled,
    passkeys: await passkeys.count(userId),
    recoveryCodesLeft: await recovery.remaining(userId),
  })

  const methods = (s: FactorSummary): SecondFactorMethod[] =>
    hasSecondFactor(s) ? [...(s.totp ? (['totp'] as const) : []), ...(s.passkeys > 0 ? (['passkey'] as const) : []), ...(s.recoveryCodesLeft > 0 ? (['recovery_code'] as const) : [])] : []

  /**
   * Checks one second-factor proof of `userId`; the passkey challenge must have been issued for the same
   * purpose and binding (the login ticket or the session).
   * @throws AppError UNAUTHENTICATED (wrong), OTP_REPLAY (a used code)
   */
  const verify = async (userId: string, proof: SecondFactorProof, binding: { purpose: 'second_factor' | 'step_up'; bindingId: string }): Promise<AuthFactor> => {
    if ('totp' in proof) {
      await totp.verify(userId, proof.totp)
      return 'totp'
    }
    if ('recoveryCode' in proof) {
      await recovery.consume(userId, proof.recoveryCode)
      return 'recovery_code'
    }
    const result = await passkeys.verifyAuthentication({
      purpose: binding.purpose,
      response: proof.passkey,
      userId,
      sessionId: binding.bindingId,
      requireUserVerification: binding.purpose === 'step_up',
    })
    if (result.userId !== userId) throw new AppError('UNAUTHENTICATED', 'that passkey could not be verified')
    return result.userVerified ? 'passkey_uv' : 'passkey'
  }

  return { summary, methods, verify }
}
export type Factors = ReturnType<typeof createFactors>
