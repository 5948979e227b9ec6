// multipart/form-data bodies (RFC 7578) as key-auth reads them: the text fields by name, and the
// same body written back without one field (hide_credentials), every other part byte for byte.
// Pure and lenient: a body that does not parse has no fields and is left as it is.

export interface Part {
  /** The part's bytes between its delimiters: header block, blank line, content. */
  raw: Buffer
  name: string | undefined
  /** Parts with a filename are files, never arguments. */
  filename: string | undefined
  content: Buffer
}

/** The boundary named by a Content-Type header, if it is multipart/form-data. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? '')
  const b = m?.[1] ?? m?.[2]
  return b && b.length <= 70 ? b : undefined
}

function dispositionParam(headers: string, param: string): string | undefined {
  const line = headers.split(/\r?\n/).find((l) => /^content-disposition\s*:/i.test(l))
  if (!line) return undefined
  const m = new RegExp(`;\\s*${param}="([^"]*)"|;\\s*${param}=([^;\\s]+)`, 'i').exec(line)
  return m ? (m[1] ?? m[2]) : undefined
}

/** The parts of a multipart body, or undefined when it is not well formed. */
export function parseMultipart(body: Buffer, boundary: string): Part[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  if (at !== 0) return undefined
  const parts: Part[] = []
  for (;;) {
    const afterDelimiter = at + delimiter.length
    // `--` right after a delimiter closes the body.
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts
    const start = body.indexOf('\r\n', afterDelimiter)
    if (start !== afterDelimiter) return undefined
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), start + 2)
    if (next === -1) return undefined
    const raw = body.subarray(start + 2, next)
    const split = raw.indexOf('\r\n\r\n')
    if (split === -1) return undefined
    const headers = raw.subarray(0, split).toString('utf8')
    parts.push({ raw, name: dispositionParam(headers, 'name'), filename: dispositionParam(headers, 'filename'), content: raw.subarray(split + 4) })
    at = next + 2
  }
}

/** Text fields by name; a repeated name gives a list, as for form bodies. */
export function multipartArgs(parts: Part[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of parts) {
    if (p.name === undefined || p.filename !== undefined) continue
    const value = p.content.toString('utf8')
    const prior = Object.hasOwn(out, p.name) ? out[p.name] : undefined
    out[p.name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return out
}

/** The body rebuilt from its parts without the text fields named `name`. */
export function multipartWithout(parts: Part[], boundary: string, name: string): Buffer {
  const kept = parts.filter((p) => p.name !== name || p.filename !== undefined)
  const chunks: Buffer[] = []
  for (const p of kept) chunks.push(Buffer.from(`--${boundary}\r\n`), p.raw, Buffer.from('\r\n'))
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}
