// drizzle-kit: generates append-only SQL migrations into the repository's migrations/ folder.
import type { Config } from 'drizzle-kit'

export default {
  dialect: 'postgresql',
  schema: './src/tables.ts',
  out: '../../migrations',
} satisfies Config
