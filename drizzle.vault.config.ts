import { defineConfig } from 'drizzle-kit'

// The signer's own database (schema `signer`): `npx drizzle-kit generate --config drizzle.vault.config.ts`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/vault/vault-schema.ts',
  out: './src/vault/migrations',
  schemaFilter: ['signer'],
})
