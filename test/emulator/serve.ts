// Runs the Binance emulator in a process of its own (`node --import tsx test/emulator/serve.ts`):
// reads `{ accounts, prices }` as JSON on standard input, prints `{"url": …}` once listening, and runs
// until its input closes. Tests use it when the test process itself must not hold the account secrets.
import { startBinanceEmulator, type BinanceEmulatorOptions } from './binance-emulator.js'

const chunks: Buffer[] = []
process.stdin.on('data', (c: Buffer) => {
  chunks.push(c)
  const text = Buffer.concat(chunks).toString('utf8')
  const nl = text.indexOf('\n')
  if (nl < 0 || process.env.EMULATOR_STARTED) return
  process.env.EMULATOR_STARTED = '1'
  const options = JSON.parse(text.slice(0, nl)) as BinanceEmulatorOptions
  void startBinanceEmulator(options).then((emulator) => {
    process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`)
    process.stdin.once('end', () => void emulator.close().then(() => process.exit(0)))
  })
})
