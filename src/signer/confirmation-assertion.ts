import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server'
import { decodeCredentialPublicKey } from '@simplewebauthn/server/helpers'
import type { PasskeyAssertion } from './signer-types.js'

/** COSE algorithms accepted for trusted passkeys: Ed25519, ES256, RS256 (as the api registers them). */
const ACCEPTED_ALGORITHMS = [-8, -7, -257]

/** True when `publicKeyB64url` is a COSE_Key of an accepted algorithm (checked before it can be trusted). */
export const isAcceptedCosePublicKey = (publicKeyB64url: string): boolean => {
  try {
    const key = decodeCredentialPublicKey(new Uint8Array(Buffer.from(publicKeyB64url, 'base64url'))) as unknown as Map<number, unknown>
    return ACCEPTED_ALGORITHMS.includes(key.get(3) as number)
  } catch {
    return false
  }
}

/** Why the library refused an assertion, as a stable reason for the audit log (its messages are not an API). */
const refusalReason = (err: unknown): string => {
  const message = err instanceof Error ? err.message : ''
  if (/challenge/i.test(message)) return 'challenge_mismatch'
  if (/origin/i.test(message)) return 'origin_mismatch'
  if (/RP ID/i.test(message)) return 'rp_id_mismatch'
  if (/User verification/i.test(message)) return 'user_not_verified'
  if (/not present/i.test(message)) return 'user_not_present'
  return 'malformed_assertion'
}

export type AssertionVerdict = { ok: true; newCounter: number } | { ok: false; reason: string }

/**
 * Verifies a confirming assertion in the signer: challenge (the operation hash), origin, RP ID, user
 * presence and user verification (required), and the signature under the public key the signer keeps.
 * The counter is the caller's to judge, after the signature: only a genuine signature whose counter did not
 * advance is evidence of a clone.
 */
export const verifyConfirmationAssertion = async (input: {
  assertion: PasskeyAssertion
  challenge: string
  webauthn: { origin: string; rpId: string }
  passkey: { authenticatorId: string; publicKey: Uint8Array }
}): Promise<AssertionVerdict> => {
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
  try {
    verified = await verifyAuthenticationResponse({
      response: input.assertion as AuthenticationResponseJSON,
      expectedChallenge: input.challenge,
      expectedOrigin: input.webauthn.origin,
      expectedRPID: input.webauthn.rpId,
      // Counter 0: the library would judge the counter before the signature.
      credential: { id: input.passkey.authenticatorId, publicKey: new Uint8Array(input.passkey.publicKey), counter: 0 },
      requireUserVerification: true,
    })
  } catch (err) {
    return { ok: false, reason: refusalReason(err) }
  }
  if (!verified.verified) return { ok: false, reason: 'signature_invalid' }
  if (!verified.authenticationInfo.userVerified) return { ok: false, reason: 'user_not_verified' }
  return { ok: true, newCounter: verified.authenticationInfo.newCounter }
}
