// The statements an Admin API write runs on every request, as fixed SQL texts with names: on a
// node-postgres connection each is parsed once per connection and then only bound and run, and
// no query is rebuilt per request. The Admin API's writes spent more CPU building drizzle
// queries than Postgres spent running them (docs/decisions/0005-commit-time-versions.md).
// Values go through each drizzle column's own driver mapping, so rows read or written here are
// exactly what drizzle reads and writes. PGlite and anything unusual keep using drizzle.

import { createHash } from 'node:crypto'
import { getTableColumns, getTableName, type Column } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'
import type { Db } from './connect.js'

/** A node-postgres pool or pooled connection. */
export type PgQueryable = Pick<pg.Pool, 'query'>

/** The node-postgres connection behind a drizzle database, when it is one. */
export function pgQueryable(q: Db): PgQueryable | undefined {
  const client = (q as unknown as { $client?: unknown }).$client
  return client instanceof pg.Pool || client instanceof pg.Client ? client : undefined
}

type Row = Record<string, unknown>

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/** A statement's name follows from its text: a connection never sees one name with two texts. */
const nameOf = (text: string) => `sy_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`

interface Statement {
  name: string
  text: string
}

const statement = (text: string): Statement => ({ name: nameOf(text), text })

export class TableStatements {
  private readonly table: string
  private readonly columns: [string, Column][]
  private readonly list: string
  private readonly insertStatement: Statement
  private readonly updateStatement: Statement
  private readonly deleteStatement: Statement
  private readonly finds = new Map<string, Statement>()

  constructor(table: PgTable) {
    this.table = getTableName(table)
    this.columns = Object.values(getTableColumns(table)).map((c) => [c.name, c])
    this.list = this.columns.map(([n]) => quote(n)).join(', ')
    const names = this.columns.map(([n]) => n)
    const params = names.map((_, i) => `$${i + 1}`)
    this.insertStatement = statement(`insert into ${quote(this.table)} (${this.list}) values (${params.join(', ')}) returning ${this.list}`)
    const sets = names.filter((n) => n !== 'id').map((n, i) => `${quote(n)} = $${i + 2}`)
    this.updateStatement = statement(`update ${quote(this.table)} set ${sets.join(', ')} where "id" = $1 returning ${this.list}`)
    this.deleteStatement = statement(`delete from ${quote(this.table)} where "id" = $1 returning ${this.list}`)
  }

  private run(db: PgQueryable, s: Statement, values: unknown[]): Promise<pg.QueryResult<Row>> {
    return db.query<Row>({ name: s.name, text: s.text, values })
  }

  /** Every column's driver value, in column order (null for what the row lacks). */
  private encode(row: Row, skipId = false): unknown[] {
    const out: unknown[] = []
    for (const [name, col] of this.columns) {
      if (skipId && name === 'id') continue
      const v = row[name]
      out.push(v === null || v === undefined ? null : col.mapToDriverValue(v))
    }
    return out
  }

  private decode(row: Row): Row {
    const out: Row = {}
    for (const [name, col] of this.columns) {
      const v = row[name]
      out[name] = v === null || v === undefined ? null : col.mapFromDriverValue(v)
    }
    return out
  }

  async insert(db: PgQueryable, row: Row): Promise<Row> {
    const res = await this.run(db, this.insertStatement, this.encode(row))
    return this.decode(res.rows[0]!)
  }

  async update(db: PgQueryable, id: string, row: Row): Promise<Row | undefined> {
    const values = [id, ...this.encode(row, true)]
    const res = await this.run(db, this.updateStatement, values)
    return res.rows[0] ? this.decode(res.rows[0]) : undefined
  }

  async delete(db: PgQueryable, id: string): Promise<Row | undefined> {
    const res = await this.run(db, this.deleteStatement, [id])
    return res.rows[0] ? this.decode(res.rows[0]) : undefined
  }

  /** The row whose columns equal the values (all of them), if any. */
  async findBy(db: PgQueryable, columns: readonly string[], values: unknown[]): Promise<Row | undefined> {
    const key = columns.join(',')
    let find = this.finds.get(key)
    if (!find) {
      const where = columns.map((c, i) => `${quote(c)} = $${i + 1}`).join(' and ')
      find = statement(`select ${this.list} from ${quote(this.table)} where ${where} limit 1`)
      this.finds.set(key, find)
    }
    const res = await this.run(db, find, values)
    return res.rows[0] ? this.decode(res.rows[0]) : undefined
  }
}
