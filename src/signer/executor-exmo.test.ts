import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExmoEmulator, type ExmoEmulator } from '../../test/emulator/exmo-emulator.js'
import { randomApiKey, randomHmacSecret } from '../../test/emulator/emulator-fixtures.js'
import { encodeCredentialFields } from '../crypto/index.js'
import { decodeCredentials } from '../vault/index.js'
import { createExecutor, type Refusal } from './executor.js'
import { createRateBudget } from './rate-budget.js'

const creds = (apiKey: string, secret: string) => decodeCredentials(encodeCredentialFields({ apiKey, secret }))

/**
 * EXMO through the signer's executor: our own ccxt-shaped class (ccxt 4.5.84 has none), signed with the
 * executor's Buffer-key hmac, under the same endpoint policy as every venue.
 */
describe('the signer executor on EXMO (our venue class, against the EXMO emulator)', () => {
  let emulator: ExmoEmulator
  const account = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const refusals: Refusal[] = []
  let executor: ReturnType<typeof createExecutor>

  beforeAll(async () => {
    emulator = await startExmoEmulator({ accounts: [{ ...account, balances: { USDT: '10000', BTC: '1' } }] })
    executor = createExecutor({ endpoints: { exmo: emulator.url }, budget: createRateBudget(), onRefusal: (r) => refusals.push(r) })
  })
  afterAll(async () => {
    await emulator.close()
  })

  it('reads the balance and places, lists and cancels an order, signed, with no fund-moving request', async () => {
    expect(await executor.run('exmo-key', 'exmo', creds(account.apiKey, account.secret), 'fetchBalance', {})).toMatchObject({ USDT: { total: '10000' } })
    const placed = (await executor.run('exmo-key', 'exmo', creds(account.apiKey, account.secret), 'createOrder', { symbol: 'BTC/USDT', type: 'limit', side: 'buy', amount: '0.001', price: '40000', clientOrderId: '42' })) as { id: string; status: string }
    expect(placed.id).toMatch(/^\d+$/)
    const open = (await executor.run('exmo-key', 'exmo', creds(account.apiKey, account.secret), 'fetchOpenOrders', { symbol: 'BTC/USDT' })) as Array<{ id: string }>
    expect(open.map((o) => o.id)).toContain(placed.id)
    await executor.run('exmo-key', 'exmo', creds(account.apiKey, account.secret), 'cancelOrder', { symbol: 'BTC/USDT', id: placed.id })
    expect(refusals).toEqual([])
    expect(emulator.fundMovements).toEqual([])
  })

  it('refuses a wrong secret as EXCHANGE_AUTH', async () => {
    await expect(executor.run('exmo-wrong', 'exmo', creds(account.apiKey, randomHmacSecret()), 'fetchBalance', {})).rejects.toMatchObject({ code: 'EXCHANGE_AUTH' })
  })
})
