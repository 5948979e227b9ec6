// One generic DAO for every Kong entity: rows are entities with Kong's field names, foreign
// keys stored as `<field>_id`. Listing is Kong's Postgres paging: ordered by id, an opaque
// offset holding the last id, optional tag filters.

import type { Entity, EntityDefinition, Fields } from '@switchyard/entities'
import { and, arrayContains, arrayOverlaps, asc, desc, eq, gt, isNotNull, isNull, lte, or, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db } from './connect.js'
import { mapWriteError } from './dao-error.js'
import { pgQueryable, TableStatements } from './pg-statements.js'

export interface TagFilter {
  mode: 'and' | 'or'
  tags: string[]
}

export interface PageQuery {
  size: number
  /** Only rows whose id is greater than this (decoded offset). */
  afterId?: string
  tags?: TagFilter
  /** Restricts to children of one parent: the foreign field and the parent's id. */
  parent?: { field: string; id: string }
}

export interface Page {
  data: Entity[]
  /** The last id of this page when there is a next page. */
  nextAfterId?: string
}

type Columns = Record<string, PgColumn>

/** Rebuilds a record with its keys in the order the schema declares them (unknown keys last). */
function inSchemaOrder(fields: Fields, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const src = value as Entity
  const out: Entity = {}
  for (const [k, f] of Object.entries(fields)) {
    if (!(k in src)) continue
    out[k] = f.type === 'record' ? inSchemaOrder(f.fields, src[k]) : src[k]
  }
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k]
  return out
}

export class EntityDao {
  private readonly columns: Columns
  /** Named, fixed statements for node-postgres (see pg-statements.ts). */
  private readonly statements: TableStatements

  constructor(
    readonly def: EntityDefinition,
    readonly table: PgTable
  ) {
    // drizzle exposes columns as properties of the table object.
    this.columns = table as unknown as Columns
    this.statements = new TableStatements(table)
  }

  /** The column name a field is stored in. */
  private columnName(name: string): string {
    return this.def.fields[name]?.type === 'foreign' ? `${name}_id` : name
  }

  private column(name: string): PgColumn {
    const col = this.columns[this.columnName(name)]
    if (!col) throw new Error(`${this.def.name} has no column for ${name}`)
    return col
  }

  toRow(entity: Entity): Record<string, unknown> {
    const row: Record<string, unknown> = {}
    for (const [name, field] of Object.entries(this.def.fields)) {
      if (field.transient) continue
      const value = entity[name] ?? null
      if (field.type === 'foreign') row[`${name}_id`] = (value as { id?: string } | null)?.id ?? null
      else row[name] = value
    }
    return row
  }

  fromRow(row: Record<string, unknown>): Entity {
    const entity: Entity = {}
    for (const [name, field] of Object.entries(this.def.fields)) {
      if (field.transient) continue
      if (field.type === 'foreign') {
        const id = row[`${name}_id`]
        entity[name] = id ? { id } : null
      } else {
        entity[name] = row[name] ?? null
      }
    }
    // jsonb stores object keys in its own order; give records back in schema order.
    const d = this.def.variant?.(entity) ?? this.def
    for (const [name, field] of Object.entries(d.fields)) {
      if (field.type === 'record') entity[name] = inSchemaOrder(field.fields, entity[name])
    }
    return entity
  }

  /** For entities with a ttl: rows not yet expired (Kong does not read expired rows). */
  private live(): SQL | undefined {
    if (!this.def.ttl) return undefined
    const ttl = this.column('ttl')
    return or(isNull(ttl), gt(ttl, Math.floor(Date.now() / 1000)))
  }

  async findById(q: Db, id: string): Promise<Entity | undefined> {
    const fast = this.def.ttl ? undefined : pgQueryable(q)
    if (fast) {
      const row = await this.statements.findBy(fast, ['id'], [id])
      return row ? this.fromRow(row) : undefined
    }
    const rows = await q.select().from(this.table).where(and(eq(this.column('id'), id), this.live())).limit(1)
    return rows[0] ? this.fromRow(rows[0]) : undefined
  }

  /** Finds by a unique field (e.g. name), optionally within one parent. */
  async findBy(
    q: Db,
    field: string,
    value: string,
    parent?: { field: string; id: string }
  ): Promise<Entity | undefined> {
    // Postgres text cannot hold NUL, so nothing stored can match, and sending one fails the
    // query ("invalid byte sequence"): a 500 for what is only a reference to nothing.
    if (typeof value !== 'string' || value.includes('\u0000')) return undefined
    const fast = this.def.ttl ? undefined : pgQueryable(q)
    if (fast) {
      const columns = [this.columnName(field)]
      const values = [value]
      if (parent) {
        columns.push(this.columnName(parent.field))
        values.push(parent.id)
      }
      const row = await this.statements.findBy(fast, columns, values)
      return row ? this.fromRow(row) : undefined
    }
    const conds: (SQL | undefined)[] = [eq(this.column(field), value), this.live()]
    if (parent) conds.push(eq(this.column(parent.field), parent.id))
    const rows = await q
      .select()
      .from(this.table)
      .where(and(...conds))
      .limit(1)
    return rows[0] ? this.fromRow(rows[0]) : undefined
  }

  private filters(query: Omit<PageQuery, 'size'>): SQL | undefined {
    const conds: (SQL | undefined)[] = [this.live()]
    if (query.afterId) conds.push(gt(this.column('id'), query.afterId))
    if (query.parent) conds.push(eq(this.column(query.parent.field), query.parent.id))
    if (query.tags) {
      const tags = this.column('tags')
      conds.push(
        query.tags.mode === 'and'
          ? arrayContains(tags, query.tags.tags)
          : arrayOverlaps(tags, query.tags.tags)
      )
    }
    return and(...conds)
  }

  /** Kong's Postgres paging: id order, one extra row read to know whether a next page exists. */
  async page(q: Db, query: PageQuery): Promise<Page> {
    const rows = await q
      .select()
      .from(this.table)
      .where(this.filters(query))
      .orderBy(asc(this.column('id')))
      .limit(query.size + 1)
    const data = rows.slice(0, query.size).map((r) => this.fromRow(r))
    const page: Page = { data }
    if (rows.length > query.size) page.nextAfterId = String(data[data.length - 1]!['id'])
    return page
  }

  /** Newest first, numeric offsets: Kong's listing of an upstream's targets. */
  async pageNewestFirst(
    q: Db,
    parent: { field: string; id: string },
    size: number,
    offset: number
  ): Promise<{ data: Entity[]; more: boolean }> {
    const rows = await q
      .select()
      .from(this.table)
      .where(eq(this.column(parent.field), parent.id))
      .orderBy(desc(this.column('created_at')), asc(this.column('id')))
      .limit(size + 1)
      .offset(offset)
    return { data: rows.slice(0, size).map((r) => this.fromRow(r)), more: rows.length > size }
  }

  /** The first row (in id order) whose array field `field` holds `value`, if any. */
  async findWithElement(q: Db, field: string, value: string): Promise<Entity | undefined> {
    const rows = await q
      .select()
      .from(this.table)
      .where(arrayContains(this.column(field), [value]))
      .orderBy(asc(this.column('id')))
      .limit(1)
    return rows[0] ? this.fromRow(rows[0]) : undefined
  }

  /** Every row of one parent, in id order. */
  async allOf(q: Db, parent: { field: string; id: string }): Promise<Entity[]> {
    const rows = await q
      .select()
      .from(this.table)
      .where(eq(this.column(parent.field), parent.id))
      .orderBy(asc(this.column('id')))
    return rows.map((r) => this.fromRow(r))
  }

  /** Every row, in id order (snapshots, balancer builds). */
  async all(q: Db, opts: { includeExpired?: boolean } = {}): Promise<Entity[]> {
    const rows = await q
      .select()
      .from(this.table)
      .where(opts.includeExpired ? undefined : this.live())
      .orderBy(asc(this.column('id')))
    return rows.map((r) => this.fromRow(r))
  }

  async insert(q: Db, entity: Entity): Promise<Entity> {
    try {
      const fast = pgQueryable(q)
      if (fast) return this.fromRow(await this.statements.insert(fast, this.toRow(entity)))
      const rows = await q.insert(this.table).values(this.toRow(entity)).returning()
      return this.fromRow(rows[0]!)
    } catch (err) {
      throw mapWriteError(err, this.def, entity, 'write')
    }
  }

  /** Replaces every column of the row with this id; undefined when no such row. */
  async update(q: Db, id: string, entity: Entity): Promise<Entity | undefined> {
    try {
      const fast = pgQueryable(q)
      if (fast) {
        const row = await this.statements.update(fast, id, this.toRow(entity))
        return row ? this.fromRow(row) : undefined
      }
      const rows = await q
        .update(this.table)
        .set(this.toRow(entity))
        .where(eq(this.column('id'), id))
        .returning()
      return rows[0] ? this.fromRow(rows[0]) : undefined
    } catch (err) {
      throw mapWriteError(err, this.def, entity, 'write')
    }
  }

  /** For entities with a ttl: deletes the rows expired by `nowMs`; returns them. */
  async deleteExpired(q: Db, nowMs: number): Promise<Entity[]> {
    if (!this.def.ttl) return []
    const ttl = this.column('ttl')
    const rows = await q.delete(this.table).where(and(isNotNull(ttl), lte(ttl, Math.floor(nowMs / 1000)))).returning()
    return rows.map((r) => this.fromRow(r))
  }

  /** Deletes by id; returns the deleted row. */
  async delete(q: Db, id: string): Promise<Entity | undefined> {
    try {
      const fast = pgQueryable(q)
      if (fast) {
        const row = await this.statements.delete(fast, id)
        return row ? this.fromRow(row) : undefined
      }
      const rows = await q.delete(this.table).where(eq(this.column('id'), id)).returning()
      return rows[0] ? this.fromRow(rows[0]) : undefined
    } catch (err) {
      throw mapWriteError(err, this.def, { id }, 'delete')
    }
  }
}
