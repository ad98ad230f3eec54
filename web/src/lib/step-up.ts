import { ApiError, isApiError } from './api'
import type { SecuritySummary } from './account-parsers'

/**
 * Step-up: the server answers a sensitive change with STEP_UP_REQUIRED when the person has not
 * confirmed it's them in the last few minutes. The page then asks them (one dialog, whatever number
 * of requests are waiting), POSTs /api/auth/step-up, and repeats each waiting request once.
 */

export const STEP_UP_REQUIRED = 'STEP_UP_REQUIRED'
/** Client-side code for "the person closed the dialog": nothing was sent, nothing changed. */
export const STEP_UP_CANCELLED = 'STEP_UP_CANCELLED'

export const stepUpCancelled = (): ApiError =>
  new ApiError(STEP_UP_CANCELLED, 'Nothing was changed: the confirmation was cancelled.')

export const isStepUpRequired = (error: unknown): boolean => isApiError(error) && error.code === STEP_UP_REQUIRED

/**
 * Runs `send`; when it fails with STEP_UP_REQUIRED, waits for `confirm` (which resolves once the
 * step-up succeeded and rejects when the person cancels) and runs `send` exactly once more. A second
 * STEP_UP_REQUIRED is returned to the caller rather than asked again, so a server that never accepts
 * the confirmation cannot trap the person in a loop of dialogs.
 */
export const withStepUp = async <T>(send: () => Promise<T>, confirm: () => Promise<void>): Promise<T> => {
  try {
    return await send()
  } catch (error) {
    if (!isStepUpRequired(error)) throw error
  }
  await confirm()
  return send()
}

/**
 * Shares one run of `task` between callers that arrive while it is pending (two buttons pressed in
 * quick succession open one dialog, not two). The next call after it settles starts a new run.
 */
export const singleFlight = <T>(task: () => Promise<T>): (() => Promise<T>) => {
  let pending: Promise<T> | undefined
  return () => {
    pending ??= task().finally(() => {
      pending = undefined
    })
    return pending
  }
}

export type StepUpMethod = 'passkey' | 'totp' | 'recovery_code' | 'password'

/**
 * The ways this person can confirm it's them, best first: a passkey (phishing-resistant), then the
 * authenticator app, then a recovery code. Someone with a second factor must use one (the server
 * refuses the password alone); someone without one confirms with the password.
 */
export const stepUpMethods = (security: SecuritySummary, canUsePasskeys: boolean): StepUpMethod[] => {
  const hasSecondFactor = security.totp || security.passkeys > 0
  if (!hasSecondFactor) return ['password']
  const methods: StepUpMethod[] = []
  if (security.passkeys > 0 && canUsePasskeys) methods.push('passkey')
  if (security.totp) methods.push('totp')
  if (security.recoveryCodesLeft > 0) methods.push('recovery_code')
  return methods
}
