import type { ApiClient } from '../../lib/api-client'
import type { Me } from '../../lib/account-parsers'
import { envelopeTtlMs, needsStepUpFirst, sealCredentials, serverTime } from '../../lib/exchange-sealing'
import type { SealedEnvelope } from '../../lib/sealing'
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
   * Empties the inputs; called once the credentials are sealed. A "confirm it's you" dialog cancelled
   * before that sends and seals nothing, and what was typed stays for the retry.
   */
  clearInputs: () => void
  send: (envelope: SealedEnvelope) => Promise<T>
}

/**
 * The shared path of "connect" and "replace key": confirm it's you first when the step-up would not
 * outlast the envelope, seal to the key whose fingerprint the form showed, remember the signer key
 * (trust on first use), then send. Times are the server's (the step-up's end and the envelope's expiry
 * are both checked by its clock), so a browser clock that is off does not matter.
 * The typed values are wiped once sealed; a refused key is typed again after its fix.
 */
export const sealAndSend = async <T>({ client, me, refreshMe, signer, workspaceId, exchange, fields, clearInputs, send }: SealAndSendInput<T>): Promise<T> => {
  const { key, fingerprint, clockOffsetMs } = signer.keyForSealing()
  const ttlMs = envelopeTtlMs(key.maxEnvelopeAgeSeconds)
  if (needsStepUpFirst(me.stepUpUntil, serverTime(clockOffsetMs, Date.now()), ttlMs)) {
    await client.confirmIdentity()
    await refreshMe()
  }
  const envelope = await sealCredentials({ publicKey: key.publicKey, workspaceId, exchange, fields, now: serverTime(clockOffsetMs, Date.now()), ttlMs })
  // The plaintext leaves the page's inputs as soon as it is sealed: only the envelope (opaque to all
  // but the signer, and short-lived) travels or waits. A step-up the api still asks for after this
  // (rare: the check above uses the same rule) means typing the key again.
  clearInputs()
  signer.accept(fingerprint)
  return await send(envelope)
}
