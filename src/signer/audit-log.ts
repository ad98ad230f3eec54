import { closeSync, writeSync } from 'node:fs'
import { openAppendSync } from '../lib/durable-file.js'
import { AppError } from '../lib/errors.js'
import { faultPoint } from '../lib/fault.js'

/**
 * The signer's own append-only audit log (JSON lines, opened O_SYNC). Every operation is written here
 * before it acts; when the write fails the operation does not happen (fail closed, SECURITY.md R39).
 * Writes arriving in the same event-loop turn are committed together (group commit: one synchronous
 * write for the batch), and each caller continues only once its line is on disk. Fields are ids, hints
 * and outcomes — never key material.
 */
export const createSignerAuditLog = (path: string) => {
  const fd = openAppendSync(path)
  let batch: Array<{ line: string; resolve: () => void; reject: (e: Error) => void }> = []

  const flush = () => {
    const current = batch
    batch = []
    try {
      faultPoint('signer.audit.write')
      writeSync(fd, current.map((b) => b.line).join('')) // O_SYNC: on disk when this returns
      for (const b of current) b.resolve()
    } catch (err) {
      const failure = new AppError('UNAVAILABLE', 'the signer cannot write its audit log, so it refuses to act', { cause: err })
      for (const b of current) b.reject(failure)
    }
  }

  const write = (entry: Record<string, unknown>): Promise<void> =>
    new Promise((resolve, reject) => {
      if (batch.length === 0) setImmediate(flush)
      batch.push({ line: `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`, resolve, reject })
    })

  return {
    write,
    close: () => {
      if (batch.length > 0) flush()
      closeSync(fd)
    },
  }
}
export type SignerAuditLog = ReturnType<typeof createSignerAuditLog>
