// Copies what the compiled server reads at run time but tsc does not emit: the SQL migrations.
import { cpSync, rmSync } from 'node:fs'

rmSync('dist/db/migrations', { recursive: true, force: true })
cpSync('src/db/migrations', 'dist/db/migrations', { recursive: true })
