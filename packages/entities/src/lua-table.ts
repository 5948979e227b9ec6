// Renders a value the way Kong's messages show Lua tables: `{id="x",n=1,sub={a=null}}`,
// keys sorted so the text is stable (Kong's own order is hash order, not guaranteed).

export function luaTable(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `{${value.map(luaTable).join(',')}}`
  const obj = value as Record<string, unknown>
  const parts = Object.keys(obj)
    .sort()
    .map((k) => `${k}=${luaTable(obj[k])}`)
  return `{${parts.join(',')}}`
}
