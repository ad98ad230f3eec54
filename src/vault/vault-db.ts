import { fileURLToPath } from 'node:url'
import type { MigrationSet } from '../db/index.js'

/** The signer's migrations keep their own bookkeeping table in its own schema, apart from the api's. */
export const vaultMigrations: MigrationSet = {
  folder: fileURLToPath(new URL('./migrations', import.meta.url)),
  schema: 'signer',
  table: '__vault_migrations',
}
