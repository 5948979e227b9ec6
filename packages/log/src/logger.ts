// Structured JSON logs, one object per line, pino's shape (level number, time, msg, bindings).
// Keys that look like secrets are masked so nothing prints a password or token.

export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

const LEVELS: Record<LevelName, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie/i
/** A PEM private key anywhere in a string (a certificate's `key` in an error or a payload). */
const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g

function scrubString(value: string): string {
  return value
    .replace(/(\/\/[^:/@]+:)[^@/]+@/g, '$1[redacted]@')
    .replace(PRIVATE_KEY_PEM, '[redacted private key]')
}

export interface Logger {
  trace(obj: object | string, msg?: string): void
  debug(obj: object | string, msg?: string): void
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
  fatal(obj: object | string, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

export interface LoggerOptions {
  level?: LevelName
  /** Where lines go; process.stdout by default. */
  write?: (line: string) => void
  bindings?: Record<string, unknown>
}

/** Replaces secret-looking values and renders errors as plain objects. */
function scrub(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== null) return '[redacted]'
  if (value instanceof Error) {
    return { type: value.name, message: scrubString(value.message), stack: value.stack && scrubString(value.stack) }
  }
  if (typeof value === 'string') return scrubString(value)
  if (Array.isArray(value)) return value.map((v) => scrub(v))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, k)
    return out
  }
  return value
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const threshold = LEVELS[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => process.stdout.write(line + '\n'))
  const bindings = opts.bindings ?? {}
  const log = (level: LevelName) => (obj: object | string, msg?: string) => {
    if (LEVELS[level] < threshold) return
    const fields = typeof obj === 'string' ? { msg: scrubString(obj) } : { ...(scrub(obj) as object), msg }
    write(JSON.stringify({ level: LEVELS[level], time: Date.now(), ...bindings, ...fields }))
  }
  return {
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    fatal: log('fatal'),
    child: (more) => createLogger({ ...opts, bindings: { ...bindings, ...more } }),
  }
}
