// The names a TLS server looks up for a client's SNI, in Kong's order
// (kong/runloop/certificate.lua find_certificate): the exact name, the name with its first
// label replaced by `*` (only for names of three labels or more), the name with its last
// label replaced by `*`, then the catch-all SNI `*`. Without SNI only the default applies.

/** SNI lookup keys for `servername`, best first; names compare case-insensitively. */
export function sniCandidates(servername: string | undefined): string[] {
  if (!servername) return []
  const name = servername.toLowerCase()
  const out = [name]
  const firstDot = name.indexOf('.')
  // "*.example.com" for "a.example.com", never "*.com" for "example.com".
  if (firstDot > 0 && name.indexOf('.', firstDot + 1) > firstDot + 1 && !/\s/.test(name.slice(firstDot))) {
    out.push(`*${name.slice(firstDot)}`)
  }
  const lastDot = name.lastIndexOf('.')
  // "example.*" for "example.com"; needs a label on each side of the last dot.
  if (lastDot > 0 && lastDot < name.length - 1 && name[lastDot - 1] !== '.') out.push(`${name.slice(0, lastDot)}.*`)
  out.push('*')
  return out
}
