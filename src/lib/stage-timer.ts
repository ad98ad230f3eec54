import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Per-request stage timings inside the signer (share reads, decrypt+combine, policy and signing, the
 * exchange round trip, waiting in the key's queue), returned with each response so the vault benchmark
 * measures the signer's own overhead directly. Durations only; never any request content.
 */
export type StageTimings = Partial<Record<'queueMs' | 'readMs' | 'combineMs' | 'policyMs' | 'exchangeMs' | 'auditMs' | 'usageMs' | 'plaintextMs' | 'handlerMs', number>>

const store = new AsyncLocalStorage<StageTimings>()

export const withStageTimings = <T>(fn: () => Promise<T>): Promise<{ value: T; timings: StageTimings }> => {
  const timings: StageTimings = {}
  const t0 = performance.now()
  return store.run(timings, async () => {
    const value = await fn()
    timings.handlerMs = performance.now() - t0
    return { value, timings }
  })
}

/** Adds the duration since `since` to a stage of the current request, if one is being timed. */
export const addStage = (stage: keyof StageTimings, since: number): void => {
  const t = store.getStore()
  if (t) t[stage] = (t[stage] ?? 0) + (performance.now() - since)
}
