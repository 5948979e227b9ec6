// One-off SQL against a test database (e.g. to install a fault-injection trigger or to look
// at the outbox the way the control plane stored it). Opens and closes its own connection.

import pg from 'pg'

export async function querySql<T extends Record<string, unknown> = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = []
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text, params)).rows
  } finally {
    await client.end()
  }
}
