import { isApiError } from '../../lib/api'
import type { ApiClient } from '../../lib/api-client'
import type { Me } from '../../lib/account-parsers'
import { envelopeTtlMs, needsStepUpFirst, sealCredentials, serverTime } from '../../lib/exchange-sealing'
import type { SealedEnvelope } from '../../lib/sealing'
import { STEP_UP_CANCELLED } from '../../lib/step-up'
import type { SignerKey } from '../../lib/use-signer-key'

type SealAndSendInput<T> = {
  client: ApiClient
  me: Me
  refreshMe: () => Promise<void>
  signer: SignerKey
  workspaceId: string
  exchange: string
  /** From prepareCredentials, read from the inputs just before. */
  fields: Record<string, string>
  /**
   * Empties the inputs once the request has settled, whatever its outcome, except when the person
   * cancelled the "confirm it's you" dialog: nothing was sent then, and what they typed stays for the retry.
   */
  clearInputs: () => void
  send: (envelope: SealedEnvelope) => Promise<T>
}

/**
 * The shared path of "connect" and "replace key": confirm it's you first when the step-up would not
 * outlast the envelope, seal to the key whose fingerprint the form showed, remember the signer key
 * (trust on first use), then send. Times are the server's (the step-up's end and the envelope's expiry
 * are both checked by its clock), so a browser clock that is off does not matter.
 * The typed values are wiped once the request settles; a refused key is typed again after its fix.
 */
export const sealAndSend = async <T>({ client, me, refreshMe, signer, workspaceId, exchange, fields, clearInputs, send }: SealAndSendInput<T>): Promise<T> => {
  const { key, fingerprint, clockOffsetMs } = signer.keyForSealing()
  const ttlMs = envelopeTtlMs(key.maxEnvelopeAgeSeconds)
  if (needsStepUpFirst(me.stepUpUntil, serverTime(clockOffsetMs, Date.now()), ttlMs)) {
    await client.confirmIdentity()
    await refreshMe()
  }
  const envelope = await sealCredentials({ publicKey: key.publicKey, workspaceId, exchange, fields, now: serverTime(clockOffsetMs, Date.now()), ttlMs })
  signer.accept(fingerprint)
  try {
    const result = await send(envelope)
    clearInputs()
    return result
  } catch (error) {
    // The api can still ask for a step-up after sealing (GET /api/me's stepUpUntil does not say which
    // factor it was): cancelling that dialog sent nothing, so the typed key stays for the retry.
    if (!(isApiError(error) && error.code === STEP_UP_CANCELLED)) clearInputs()
    throw error
  }
}
