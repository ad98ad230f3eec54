// Copies what the compiled server reads at run time but tsc does not emit: the SQL migrations (the api's and the signer's).
import { cpSync, rmSync } from 'node:fs'

for (const dir of ['db/migrations', 'vault/migrations']) {
  rmSync(`dist/${dir}`, { recursive: true, force: true })
  cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true })
}
