import { useCallback, useState } from 'react'
import { fetchSealingKey } from '../api/exchanges/queries'
import { ApiError, isApiError } from './api'
import type { SealingKey } from './exchange-parsers'
import { serverClockOffsetMs } from './exchange-sealing'
import { useAppSession } from './session-context'
import { assessSignerKey, maySealTo, readRememberedFingerprint, rememberFingerprint, signerKeyFingerprint, type SignerTrust } from './signer-trust'
import { useResource } from './use-resource'

export type LoadedSignerKey = {
  key: SealingKey
  fingerprint: string
  /** Server clock minus this browser's, measured when the key loaded: envelopes expire by the server's time. */
  clockOffsetMs: number
}

/**
 * The signer's sealing key for the forms that seal credentials, with its fingerprint and the
 * trust-on-first-use verdict. Loaded once per page: the key whose fingerprint is shown is the key
 * sealed to, never one fetched again at submit time.
 */
export const useSignerKey = (workspaceId: string, isEnabled: boolean) => {
  const { client } = useAppSession()
  const load = useCallback(
    async (signal: AbortSignal): Promise<LoadedSignerKey | undefined> => {
      if (!isEnabled) return undefined
      const key = await fetchSealingKey(client, workspaceId, signal)
      const clockOffsetMs = serverClockOffsetMs(key.now, Date.now())
      try {
        return { key, fingerprint: await signerKeyFingerprint(key.publicKey), clockOffsetMs }
      } catch (cause) {
        throw new ApiError('BAD_SIGNER_KEY', 'The server sent a signer key that is not a P-256 public key. Do not connect keys until your operator has checked the signer.', { cause })
      }
    },
    [client, workspaceId, isEnabled],
  )
  const { resource, reload } = useResource(load)
  const [remembered, setRemembered] = useState(() => readRememberedFingerprint())
  const [hasConfirmedChange, setHasConfirmedChange] = useState(false)

  const loaded = resource.status === 'success' ? resource.data : undefined
  const trust: SignerTrust | undefined = loaded === undefined ? undefined : assessSignerKey(remembered, loaded.fingerprint)

  /**
   * The key to seal to right now. @throws ApiError when it has not loaded, or it changed and the
   * person has not said they checked it
   */
  const keyForSealing = (): LoadedSignerKey => {
    if (loaded === undefined || trust === undefined) {
      throw resource.status === 'error' && isApiError(resource.error)
        ? resource.error
        : new ApiError('SIGNER_KEY_LOADING', "The signer's key has not loaded yet. Wait a moment and try again.")
    }
    if (!maySealTo(trust, hasConfirmedChange)) {
      throw new ApiError('SIGNER_KEY_CHANGED', "Nothing was sent: the signer's key has changed. Check its fingerprint with your operator first.")
    }
    return loaded
  }

  /** After sealing to `fingerprint`: this browser trusts it from now on. */
  const accept = (fingerprint: string) => {
    rememberFingerprint(fingerprint)
    setRemembered(fingerprint)
    setHasConfirmedChange(false)
  }

  return { resource, reload, trust, hasConfirmedChange, setHasConfirmedChange, keyForSealing, accept }
}

export type SignerKey = ReturnType<typeof useSignerKey>
