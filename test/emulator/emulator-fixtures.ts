import { generateKeyPairSync, randomBytes } from 'node:crypto'
import ccxt from 'ccxt'
import type { BinanceEmulator } from './binance-emulator.js'
import { pointAt } from './point-ccxt.js'

type Pointed = { url: string }

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

/** An OKX passphrase: OKX asks for 8–32 characters with letters, digits and a symbol. */
export const randomPassphrase = () => `Pp-${randomBytes(9).toString('base64url')}`

/**
 * A ccxt okx client pointed at an emulator: spot markets only and no signed currency list, as the
 * catalogue presets it. `createOrder` stays ccxt's default (a one-order batch) unless options say otherwise.
 */
export const okxClient = (emulator: Pointed, apiKey: string, secret: string, password: string, options: Record<string, unknown> = {}) => {
  const exchange = new ccxt.okx({ apiKey, secret, password, timeout: 1500, enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] }, defaultType: 'spot', ...options } })
  exchange.has['fetchCurrencies'] = false
  pointAt(exchange, emulator.url)
  return exchange
}

/**
 * A ccxt bybit client pointed at an emulator (ccxt's throttle off, as in the signer). `preset` skips the query-api/account-info lookups before
 * the first order (a Unified account is assumed) and acknowledges fetchOrder's recent-orders limit.
 */
export const bybitClient = (emulator: Pointed, apiKey: string, secret: string, options: Record<string, unknown> = {}, preset = true) => {
  const presetOptions = preset ? { enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6, fetchOrder: { acknowledged: true } } : {}
  const exchange = new ccxt.bybit({ apiKey, secret, timeout: 1500, enableRateLimit: false, options: { ...presetOptions, fetchMarkets: { types: ['spot'] }, defaultType: 'spot', ...options } })
  exchange.has['fetchCurrencies'] = false
  pointAt(exchange, emulator.url)
  return exchange
}

/** A ccxt binanceusdm client pointed at an emulator, without the signed sapi lookups of loadMarkets. */
export const binanceUsdmClient = (emulator: Pointed, apiKey: string, secret: string, options: Record<string, unknown> = {}) => {
  const exchange = new ccxt.binanceusdm({ apiKey, secret, timeout: 1500, enableRateLimit: false, options: { fetchCurrencies: false, fetchMargins: false, ...options } })
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
