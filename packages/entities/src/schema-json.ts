// Renders our entity definitions in Kong's schema JSON (what `GET /schemas/{entity}` returns):
// `fields` is an ordered list of one-key objects, records nest `fields`, collections carry
// `elements`, maps `keys`/`values`. decK reads the defaults from here to fill its diffs.

import type { EntityDefinition, Field, Fields } from './schema.js'

type Json = Record<string, unknown>

function fieldJson(field: Field): Json {
  const out: Json = { type: field.type }
  if (field.required) out['required'] = true
  if (field.auto) {
    out['auto'] = true
    if (field.auto !== 'uuid' && field.auto !== 'random') out['timestamp'] = true
  }
  if (field.transient) out['transient'] = true
  if (field.default !== undefined && field.type !== 'record') out['default'] = field.default
  switch (field.type) {
    case 'string':
      if (field.uuid) out['uuid'] = true
      // Tools that validate locally against this schema must accept our extension values too.
      if (field.one_of) out['one_of'] = [...field.one_of, ...(field.one_of_extensions ?? [])]
      if (field.len_min !== undefined) out['len_min'] = field.len_min
      break
    case 'integer':
    case 'number':
      if (field.between) out['between'] = field.between
      if (field.one_of) out['one_of'] = field.one_of
      break
    case 'array':
    case 'set':
      out['elements'] = fieldJson(field.elements)
      if (field.len_min !== undefined) out['len_min'] = field.len_min
      break
    case 'map':
      out['keys'] = fieldJson(field.keys)
      out['values'] = fieldJson(field.values)
      break
    case 'record':
      out['fields'] = fieldsJson(field.fields)
      break
    case 'foreign':
      out['reference'] = field.reference
      if (field.on_delete) out['on_delete'] = field.on_delete
      break
  }
  return out
}

export function fieldsJson(fields: Fields): Json[] {
  return Object.entries(fields).map(([name, f]) => ({ [name]: fieldJson(f) }))
}

/** Kong's entity checks that are plain data; custom checks are code and are not listed. */
function checksJson(def: EntityDefinition): Json[] {
  const out: Json[] = []
  for (const c of def.entity_checks ?? []) {
    if ('conditional' in c) {
      const { if_field, if_match, then_field, then_match } = c.conditional
      out.push({ conditional: { if_field, if_match: { one_of: if_match }, then_field, then_match } })
    } else if ('distinct' in c) {
      out.push({ distinct: c.distinct })
    } else if ('at_least_one_of' in c) {
      out.push({ at_least_one_of: c.at_least_one_of })
    } else if ('mutually_required' in c) {
      out.push({ mutually_required: c.mutually_required })
    }
  }
  return out
}

export function entitySchemaJson(def: EntityDefinition): Json {
  // Kong marks expiring entities with `ttl: true`; the expiry is no field of theirs.
  const fields = def.ttl ? Object.fromEntries(Object.entries(def.fields).filter(([name]) => name !== 'ttl')) : def.fields
  return {
    name: def.name,
    primary_key: [def.primary_key],
    ...(def.endpoint_key ? { endpoint_key: def.endpoint_key } : {}),
    ...(def.ttl ? { ttl: true } : {}),
    fields: fieldsJson(fields),
    entity_checks: checksJson(def),
  }
}
