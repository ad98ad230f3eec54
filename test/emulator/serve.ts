// Runs one exchange emulator in a process of its own (`node --import tsx test/emulator/serve.ts`), for tests
// whose own process must not hold the account secrets. Protocol, one JSON document per line:
//   stdin, first line:  { "family"?: "binance" | "binanceusdm" | "okx" | "bybit" | "exmo", "accounts": [...], "prices"?: {...}, ...options }
//                       (no family: binance, as before; the rest is that family's start options)
//   stdout, once:       { "url": "http://127.0.0.1:PORT", "family": "…" }
//   stdin, later lines: { "op": "requests" | "withdrawals" | "clearRequests" | "setPrice" | "setClockOffset", … }
//   stdout, per op:     { "ok": true, "result": … } or { "ok": false, "error": "…" }
// It runs until its input closes. Request logs never contain signatures or secrets, so `requests` is safe to print.
import { pathToFileURL } from 'node:url'
import { startBinanceEmulator, type BinanceEmulatorOptions } from './binance-emulator.js'
import { startBinanceUsdmEmulator, type UsdmEmulatorOptions } from './binance-usdm-emulator.js'
import { startBybitEmulator, type BybitEmulatorOptions } from './bybit-emulator.js'
import { startOkxEmulator, type OkxEmulatorOptions } from './okx-emulator.js'

export type ServeRequest =
  | ({ family?: 'binance' } & BinanceEmulatorOptions)
  | ({ family: 'binanceusdm' } & UsdmEmulatorOptions)
  | ({ family: 'okx' } & OkxEmulatorOptions)
  | ({ family: 'bybit' } & BybitEmulatorOptions)
  | ({ family: 'exmo' } & Record<string, unknown>)

export type ServeOp =
  | { op: 'requests' | 'withdrawals' | 'clearRequests' }
  | { op: 'setPrice'; symbol: string; price: string }
  | { op: 'setClockOffset'; ms: number }

type Running = {
  url: string
  requests: readonly unknown[]
  withdrawals: readonly unknown[]
  clearRequests: () => void
  setPrice: (symbol: string, price: string) => unknown
  setClockOffset: (ms: number) => void
  close: () => Promise<void>
}

export const startFamily = async (request: ServeRequest): Promise<Running> => {
  switch (request.family) {
    case undefined:
    case 'binance':
      return startBinanceEmulator(request)
    case 'binanceusdm':
      return startBinanceUsdmEmulator(request)
    case 'okx':
      return startOkxEmulator(request)
    case 'bybit':
      return startBybitEmulator(request)
    case 'exmo': {
      // The EXMO family lives beside this file (test/emulator/exmo-emulator.ts), owned with our EXMO venue.
      const { startExmoEmulator } = await import('./exmo-emulator.js')
      return (await startExmoEmulator(request as unknown as Parameters<typeof startExmoEmulator>[0])) as unknown as Running
    }
    default:
      throw new Error(`unknown emulator family "${String((request as { family: unknown }).family)}"`)
  }
}

const answer = (running: Running, line: string): unknown => {
  const op = JSON.parse(line) as ServeOp
  switch (op.op) {
    case 'requests':
      return running.requests
    case 'withdrawals':
      return running.withdrawals
    case 'clearRequests':
      running.clearRequests()
      return null
    case 'setPrice':
      running.setPrice(op.symbol, op.price)
      return null
    case 'setClockOffset':
      running.setClockOffset(op.ms)
      return null
    default:
      throw new Error(`unknown op "${String((op as { op: unknown }).op)}"`)
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  let buffered = ''
  let running: Promise<Running> | undefined
  const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)
  process.stdin.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl).trim()
      buffered = buffered.slice(nl + 1)
      if (!line) continue
      if (!running) {
        const request = JSON.parse(line) as ServeRequest
        running = startFamily(request)
        void running.then((r) => write({ url: r.url, family: request.family ?? 'binance' }), (err: unknown) => {
          process.stderr.write(`emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
          process.exit(1)
        })
        continue
      }
      void running.then((r) => {
        try {
          write({ ok: true, result: answer(r, line) })
        } catch (err) {
          write({ ok: false, error: err instanceof Error ? err.message : String(err) })
        }
      })
    }
  })
  process.stdin.once('end', () => void (running ?? Promise.resolve(undefined)).then((r) => r?.close()).then(() => process.exit(0)))
}
