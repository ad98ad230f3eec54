import { existsSync, readFileSync, statSync } from 'node:fs'
import { createFileExclusive } from '../lib/durable-file.js'
import { AppError } from '../lib/errors.js'
import { base64url, type RecipientKeyPair } from '../crypto/sealing.js'

const subtle = globalThis.crypto.subtle

/** The signer's sealing key pair (ECDH P-256), kept as a 0600 JWK file so browsers can seal to a stable public key. */
export const loadRecipientKey = async (path: string): Promise<{ keyPair: RecipientKeyPair; publicKey: string }> => {
  if (!existsSync(path)) {
    const pair = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as RecipientKeyPair
    createFileExclusive(path, JSON.stringify(await subtle.exportKey('jwk', pair.privateKey)))
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new AppError('FORBIDDEN', `sealing key ${path} is readable by others: run \`chmod 600 ${path}\``)
  const jwk = JSON.parse(readFileSync(path, 'utf8')) as { kty: string; crv: string; x: string; y: string; d: string }
  const privateKey = await subtle.importKey('jwk', jwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
  const publicKey = await subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDH', namedCurve: 'P-256' }, true, [])
  const raw = new Uint8Array(await subtle.exportKey('raw', publicKey))
  return { keyPair: { privateKey, publicKey }, publicKey: base64url.encode(raw) }
}
