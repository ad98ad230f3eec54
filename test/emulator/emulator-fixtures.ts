import { generateKeyPairSync, randomBytes } from 'node:crypto'
import ccxt from 'ccxt'
import type { BinanceEmulator } from './binance-emulator.js'
import { pointAt } from './point-ccxt.js'

/** Helpers for tests that run the real ccxt client against the emulator. Keys are random per run. */

/** 64 alphanumeric characters: the format Binance checks before looking a key up. */
export const randomApiKey = () => randomBytes(32).toString('hex')

export const randomHmacSecret = () => randomBytes(32).toString('hex')

/** An Ed25519 key pair: ccxt takes the PKCS#8 PEM private key as `secret`; the emulator gets the SPKI public key. */
export const ed25519KeyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  }
}

/**
 * A ccxt binance client pointed at the emulator. `fetchCurrencies`/`fetchMargins` off avoids the three
 * signed sapi calls loadMarkets otherwise makes; `timeout` is short so fault tests finish quickly.
 */
export const binanceClient = (emulator: BinanceEmulator, apiKey: string, secret: string, options: Record<string, unknown> = {}) => {
  const exchange = new ccxt.binance({
    apiKey,
    secret,
    timeout: 1500,
    options: { fetchCurrencies: false, fetchMargins: false, ...options },
  })
  pointAt(exchange, emulator.url)
  return exchange
}

/** Resolves to the error a promise rejects with (fails the test if it resolves). */
export const rejectionOf = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise
  } catch (err) {
    if (err instanceof Error) return err
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err })
  }
  throw new Error('expected the promise to reject, but it resolved')
}
