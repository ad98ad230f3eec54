import { closeSync, writeSync } from 'node:fs'
import { openAppendSync } from '../lib/durable-file.js'
import { AppError } from '../lib/errors.js'
import { faultPoint } from '../lib/fault.js'

/**
 * The signer's own append-only audit log (JSON lines, opened O_SYNC). Every operation is written here before
 * it acts; when the write fails the operation does not happen (fail closed, SECURITY.md R39). Fields are
 * ids, hints and outcomes — never key material.
 */
export const createSignerAuditLog = (path: string) => {
  const fd = openAppendSync(path)
  const write = (entry: Record<string, unknown>) => {
    try {
      faultPoint('signer.audit.write')
      writeSync(fd, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`) // O_SYNC: on disk when this returns
    } catch (err) {
      throw new AppError('UNAVAILABLE', 'the signer cannot write its audit log, so it refuses to act', { cause: err })
    }
  }
  return { write, close: () => closeSync(fd) }
}
export type SignerAuditLog = ReturnType<typeof createSignerAuditLog>
