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
  /** Empties the inputs; called as soon as the envelope exists, whatever happens to the request. */
  clearInputs: () => void
  send: (envelope: SealedEnvelope) => Promise<T>
}

/**
 * The shared path of "connect" and "replace key": confirm it's you first when the step-up would not
 * outlast the envelope, seal to the key whose fingerprint the form showed, drop the typed values,
 * remember the signer key (trust on first use), then send. A failure after sealing means typing the
 * key again: nothing typed is kept for a retry. Times are the server's (the step-up's end and the
 * envelope's expiry are both checked by its clock), so a browser clock that is off does not matter.
 */
export const sealAndSend = async <T>({ client, me, refreshMe, signer, workspaceId, exchange, fields, clearInputs, send }: SealAndSendInput<T>): Promise<T> => {
  const { key, fingerprint, clockOffsetMs } = signer.keyForSealing()
  const ttlMs = envelopeTtlMs(key.maxEnvelopeAgeSeconds)
  if (needsStepUpFirst(me.stepUpUntil, serverTime(clockOffsetMs, Date.now()), ttlMs)) {
    await client.confirmIdentity()
    await refreshMe()
  }
  const envelope = await sealCredentials({ publicKey: key.publicKey, workspaceId, exchange, fields, now: serverTime(clockOffsetMs, Date.now()), ttlMs })
  clearInputs()
  signer.accept(fingerprint)
  return send(envelope)
}
