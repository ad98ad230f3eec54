import { describe, expect, it } from 'vitest'
import { createSmartTradeBody, editSmartTradeBody } from '../../../../src/trading/trading-api-types'
import { emptyRiskDraft } from './risk-draft'
import {
  bodyFieldOf,
  editBodyFrom,
  emptySmartTradeDraft,
  emptyTarget,
  exitsDraftFrom,
  readSmartTradeConfig,
  sharesTotal,
  smartTradeBodyFrom,
  type SmartTradeDraft,
} from './smart-trade-draft'

const ACCOUNT_ID = '3f2c1d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f'

const draft = (patch: Partial<SmartTradeDraft> = {}): SmartTradeDraft => ({
  ...emptySmartTradeDraft(`demo:${ACCOUNT_ID}`),
  symbol: 'btc/usdt ',
  amount: '0.010',
  ...patch,
})

const failed = (result: ReturnType<typeof smartTradeBodyFrom>) => {
  if (result.ok) throw new Error('expected the form to be refused')
  return result.errors
}

describe('the Smart Trade form', () => {
  it('turns a full form into the body the API schema accepts', () => {
    const result = smartTradeBodyFrom(
      draft({
        name: '  Breakout ',
        entryType: 'conditional',
        triggerPrice: '65000',
        triggerDirection: 'above',
        targets: [
          { mode: 'percent', value: '2', share: '50' },
          { mode: 'price', value: '70000', share: '50' },
          emptyTarget(),
        ],
        takeProfitTrailing: '0.5',
        stopMode: 'percent',
        stopValue: '1.5',
        stopTrailing: '',
        breakeven: true,
        timeoutMinutes: '90',
        risk: { ...emptyRiskDraft, maxOrderNotional: '1000', maxOpenOrders: '4', cooldownMinutes: '15' },
      }),
    )
    expect(result).toEqual({
      ok: true,
      body: {
        name: 'Breakout',
        account: { kind: 'demo', id: ACCOUNT_ID },
        config: {
          symbol: 'BTC/USDT',
          direction: 'long',
          amount: '0.010',
          entry: { type: 'conditional', triggerPrice: '65000', direction: 'above' },
          takeProfit: {
            targets: [
              { percent: '2', sharePercent: '50' },
              { price: '70000', sharePercent: '50' },
            ],
            trailingPercent: '0.5',
          },
          stopLoss: { percent: '1.5', moveToBreakevenAfterFirstTarget: true },
          timeoutSeconds: 5400, // 90 minutes × 60
          risk: { maxOrderNotional: '1000', maxOpenOrders: 4, cooldownAfterStopLossSeconds: 900 },
        },
      },
    })
    if (result.ok) expect(createSmartTradeBody.parse(result.body)).toEqual(result.body)
  })

  it('sends a market entry with no exits as the bare minimum', () => {
    expect(smartTradeBodyFrom(draft())).toEqual({
      ok: true,
      body: { account: { kind: 'demo', id: ACCOUNT_ID }, config: { symbol: 'BTC/USDT', direction: 'long', amount: '0.010', entry: { type: 'market' } } },
    })
  })

  it("shows the schema's own message when the take-profit shares do not add up to 100", () => {
    const errors = failed(
      smartTradeBodyFrom(
        draft({
          targets: [
            { mode: 'percent', value: '1', share: '40' },
            { mode: 'percent', value: '2', share: '40' },
          ],
        }),
      ),
    )
    expect(errors).toEqual({ targets: 'The take-profit shares must add up to 100 %.' })
  })

  it("says on the symbol field when it is not one the account's market trades", () => {
    expect(failed(smartTradeBodyFrom(draft({ symbol: 'BTC/USDT:USDT' }), 'spot'))).toEqual({ symbol: '"BTC/USDT:USDT" is a perpetual and this is a spot account: use a symbol like "BTC/USDT".' })
    expect(failed(smartTradeBodyFrom(draft(), 'linear'))).toEqual({ symbol: '"BTC/USDT" is a spot symbol and this account trades perpetuals: use a symbol like "BTC/USDT:USDT".' })
    expect(smartTradeBodyFrom(draft(), 'spot').ok).toBe(true)
    expect(smartTradeBodyFrom(draft({ symbol: 'BTC/USDT:USDT' }), 'linear').ok).toBe(true)
  })

  it("names the form field of a path in the create body, as the server's validation errors give it", () => {
    expect(bodyFieldOf(['config', 'takeProfit', 'targets', 1, 'price'])).toBe('target.1.value')
    expect(bodyFieldOf(['config', 'takeProfit', 'targets', 0, 'sharePercent'])).toBe('target.0.share')
    expect(bodyFieldOf(['config', 'stopLoss', 'percent'])).toBe('stopValue')
    expect(bodyFieldOf(['config', 'entry', 'price'])).toBe('entryPrice')
    expect(bodyFieldOf(['account', 'id'])).toBe('accountKey')
    expect(bodyFieldOf(['unknown'])).toBeUndefined()
  })

  it('refuses a short on a spot symbol, and allows it on a futures one', () => {
    expect(failed(smartTradeBodyFrom(draft({ direction: 'short' })))).toEqual({ direction: 'A spot trade can only go long (buy, then sell).' })
    expect(smartTradeBodyFrom(draft({ direction: 'short', symbol: 'BTC/USDT:USDT' })).ok).toBe(true)
  })

  it('names each field that is wrong, in the words of the schema or of the form', () => {
    const errors = failed(
      smartTradeBodyFrom(
        draft({
          accountKey: '',
          symbol: 'BTCUSDT',
          amount: '1,5',
          entryType: 'limit',
          entryPrice: '',
          targets: [{ mode: 'price', value: '-3', share: '100' }],
          stopMode: 'none',
          breakeven: true,
          timeoutMinutes: '0',
          risk: { ...emptyRiskDraft, maxOpenOrders: '2.5', cooldownMinutes: 'soon' },
        }),
      ),
    )
    expect(errors).toEqual({
      accountKey: 'Choose the account to trade on.',
      symbol: 'Must be a unified symbol like "BTC/USDT" or "BTC/USDT:USDT".',
      amount: 'Must be a decimal number like "0.001".',
      entryPrice: 'Must be a decimal number like "0.001".',
      'target.0.value': 'Must be a decimal number like "0.001".',
      stopValue: 'A stop loss needs a price, a percent or a trailing percent.',
      timeoutMinutes: 'Enter whole minutes from 1 to 129600 (90 days).',
      'risk.maxOpenOrders': 'Must be a whole number.',
      'risk.cooldownMinutes': 'Enter whole minutes from 0 to 10080 (7 days).',
    })
  })

  it('refuses a sixth target and a share of zero', () => {
    const six = Array.from({ length: 6 }, () => ({ mode: 'percent' as const, value: '1', share: '10' }))
    expect(failed(smartTradeBodyFrom(draft({ targets: six }))).targets).toBe('Takes at most 5.')
    const errors = failed(smartTradeBodyFrom(draft({ targets: [{ mode: 'percent', value: '1', share: '0' }] })))
    expect(errors['target.0.share']).toBe('Must be between 0 and 1000 %.')
  })

  it('adds up the shares typed so far for the hint', () => {
    expect(sharesTotal([{ mode: 'percent', value: '1', share: '33.5' }, { mode: 'percent', value: '', share: '' }, { mode: 'price', value: '', share: 'x' }])).toBe(33.5)
  })
})

describe('editing a running Smart Trade', () => {
  const config = readSmartTradeConfig({
    symbol: 'ETH/USDT:USDT',
    direction: 'short',
    amount: '1',
    entry: { type: 'limit', price: '3000' },
    takeProfit: { targets: [{ percent: '3', sharePercent: '100' }] },
    stopLoss: { price: '3150', trailingPercent: '1' },
    timeoutSeconds: 3600,
  })
  if (config === undefined) throw new Error('the test config must be valid')

  it('starts from the trade as it is, and sends only the exits', () => {
    const exits = exitsDraftFrom(config)
    expect(exits).toEqual({
      targets: [{ mode: 'percent', value: '3', share: '100' }],
      takeProfitTrailing: '',
      stopMode: 'price',
      stopValue: '3150',
      stopTrailing: '1',
      breakeven: false,
      timeoutMinutes: '60',
    })
    const result = editBodyFrom(config, exits)
    expect(result).toEqual({
      ok: true,
      body: { takeProfit: { targets: [{ percent: '3', sharePercent: '100' }] }, stopLoss: { price: '3150', trailingPercent: '1' }, timeoutSeconds: 3600 },
    })
    if (result.ok) expect(editSmartTradeBody.parse(result.body)).toEqual(result.body)
  })

  it('still checks the shares against the whole trade', () => {
    const result = editBodyFrom(config, { ...exitsDraftFrom(config), targets: [{ mode: 'price', value: '2900', share: '60' }] })
    expect(result).toEqual({ ok: false, errors: { targets: 'The take-profit shares must add up to 100 %.' } })
  })

  it('reads only configs it understands', () => {
    expect(readSmartTradeConfig({ symbol: 'BTC/USDT' })).toBeUndefined()
    expect(readSmartTradeConfig(null)).toBeUndefined()
  })
})
