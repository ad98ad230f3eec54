/** "BTC/USDT" → BTC, USDT; "BTC/USDT:USDT" (a linear perpetual, settled in the quote) → BTC, USDT. */
export const currenciesOf = (symbol: string): { base: string; quote: string } => {
  const [base = symbol, rest = ''] = symbol.split('/')
  return { base, quote: rest.split(':')[0] ?? rest }
}
