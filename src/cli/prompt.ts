import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'

/** Reads a line from the terminal without echoing it (passwords). */
export const promptHidden = (question: string): Promise<string> =>
  new Promise((resolve, reject) => {
    if (!process.stdin.isTTY) return reject(new Error('no terminal to prompt on: pass --password-stdin and pipe the password'))
    let muted = false
    const output = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        if (!muted) process.stdout.write(chunk)
        done()
      },
    })
    const rl = createInterface({ input: process.stdin, output, terminal: true })
    rl.question(question, (answer) => {
      rl.close()
      process.stdout.write('\n')
      resolve(answer)
    })
    muted = true
  })

/** The whole of standard input, without its final newline (for `--password-stdin`). */
export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}
