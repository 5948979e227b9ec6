// What plugins change on the request before it goes upstream (Kong's kong.service.request.*):
// headers set or cleared, query arguments cleared, the body replaced. The proxy applies the
// edits when it builds the upstream request; a request no plugin touched pays nothing.

export class RequestEdits {
  /** Lower-case header name → value to send, or null to drop the client's header. */
  readonly headers = new Map<string, string | null>()
  private readonly clearedArgs = new Set<string>()
  /** A replacement body (also sets Content-Length). */
  body: Buffer | undefined

  setHeader(name: string, value: string): void {
    this.headers.set(name.toLowerCase(), value)
  }

  clearHeader(name: string): void {
    this.headers.set(name.toLowerCase(), null)
  }

  clearQueryArg(name: string): void {
    this.clearedArgs.add(name)
  }

  setBody(body: Buffer): void {
    this.body = body
    this.setHeader('content-length', String(body.length))
  }

  get touched(): boolean {
    return this.headers.size > 0 || this.clearedArgs.size > 0 || this.body !== undefined
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
    if (this.clearedArgs.size === 0 || query === '') return query
    return query
      .split('&')
      .filter((part) => {
        if (part === '') return false
        const eq = part.indexOf('=')
        return !this.clearedArgs.has(decodeArg(eq < 0 ? part : part.slice(0, eq)))
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
