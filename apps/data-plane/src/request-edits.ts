// What plugins change on the request before it goes upstream (Kong's kong.service.request.*):
// headers set or cleared, query arguments cleared, the body replaced. The proxy applies the
// edits when it builds the upstream request; a request no plugin touched pays nothing.

const NO_HEADER_EDITS: ReadonlyMap<string, string | null> = new Map()

export class RequestEdits {
  // Created on the first edit: most requests meet no plugin that edits anything.
  private headerEdits: Map<string, string | null> | undefined
  private clearedArgs: Set<string> | undefined
  /** A replacement body (also sets Content-Length). */
  body: Buffer | undefined

  /** Lower-case header name → value to send, or null to drop the client's header. */
  get headers(): ReadonlyMap<string, string | null> {
    return this.headerEdits ?? NO_HEADER_EDITS
  }

  setHeader(name: string, value: string): void {
    ;(this.headerEdits ??= new Map()).set(name.toLowerCase(), value)
  }

  clearHeader(name: string): void {
    ;(this.headerEdits ??= new Map()).set(name.toLowerCase(), null)
  }

  clearQueryArg(name: string): void {
    ;(this.clearedArgs ??= new Set()).add(name)
  }

  setBody(body: Buffer): void {
    this.body = body
    this.setHeader('content-length', String(body.length))
  }

  get touched(): boolean {
    return this.headers.size > 0 || (this.clearedArgs?.size ?? 0) > 0 || this.body !== undefined
  }

  /** Applies the header edits to a flat [name, value, …] list (names lower-case). */
  applyHeaders(list: string[]): string[] {
    if (this.headers.size === 0) return list
    const out: string[] = []
    for (let i = 0; i < list.length; i += 2) {
      if (!this.headers.has(list[i]!)) out.push(list[i]!, list[i + 1]!)
    }
    for (const [name, value] of this.headers) if (value !== null) out.push(name, value)
    return out
  }

  /** The raw query string without the cleared arguments (matched on the decoded name). */
  applyQuery(query: string): string {
    const cleared = this.clearedArgs
    if (cleared === undefined || cleared.size === 0 || query === '') return query
    return query
      .split('&')
      .filter((part) => {
        if (part === '') return false
        const eq = part.indexOf('=')
        return !cleared.has(decodeArg(eq < 0 ? part : part.slice(0, eq)))
      })
      .join('&')
  }
}

export function decodeArg(text: string): string {
  const spaced = text.replaceAll('+', ' ')
  try {
    return decodeURIComponent(spaced)
  } catch {
    return spaced
  }
}
