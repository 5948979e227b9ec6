// Turns the apps' JSON log lines (pino's shape: numeric level, time, msg, bindings) into one
// readable line behind a colored process tag, for `npm run cluster`. Lines that are not JSON
// (a crash trace on stderr, tsx's messages) pass through unchanged behind the same tag.

const RESET = '\x1b[0m'
const DIM = '\x1b[2m'
const TAG_COLORS = ['\x1b[36m', '\x1b[32m', '\x1b[33m', '\x1b[35m', '\x1b[34m', '\x1b[96m', '\x1b[92m', '\x1b[93m']
const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: DIM },
  20: { name: 'DEBUG', color: DIM },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[41m\x1b[97m' },
}
/** Fields every line carries and that the tag or the prefix already shows. */
const SHOWN = new Set(['level', 'time', 'msg', 'app', 'pid', 'hostname'])

export interface Tagger {
  /** Formats one raw output line of the process. */
  format(line: string): string
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env['NO_COLOR']
}

function paint(color: boolean, code: string, text: string): string {
  return color ? `${code}${text}${RESET}` : text
}

function clock(ms: unknown): string {
  const d = typeof ms === 'number' ? new Date(ms) : new Date()
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0')
}

function renderValue(value: unknown): string {
  if (value && typeof value === 'object' && 'message' in value && typeof value.message === 'string') {
    // Errors are logged as {type, message, stack}: the message is what a reader needs first.
    return JSON.stringify(value.message)
  }
  if (typeof value === 'string') return /^[\w.:/@-]*$/.test(value) && value !== '' ? value : JSON.stringify(value)
  return JSON.stringify(value)
}

/** `{"level":30,"msg":"x","port":1}` → `12:00:00.000 INFO  x port=1`; undefined when not a log object. */
export function formatJsonLine(line: string, color: boolean): string | undefined {
  if (!line.startsWith('{')) return undefined
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
  if (typeof entry['level'] !== 'number') return undefined
  const level = LEVELS[entry['level']] ?? { name: String(entry['level']), color: '' }
  const fields = Object.entries(entry)
    .filter(([k, v]) => !SHOWN.has(k) && v !== undefined)
    .map(([k, v]) => `${paint(color, DIM, `${k}=`)}${renderValue(v)}`)
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : ''
  return [paint(color, DIM, clock(entry['time'])), paint(color, level.color, level.name.padEnd(5)), msg, ...fields]
    .filter((s) => s !== '')
    .join(' ')
}

/** A tagger per process; tags are padded to `width` so the columns line up. */
export function createTagger(name: string, index: number, width: number, color: boolean): Tagger {
  const tag = paint(color, TAG_COLORS[index % TAG_COLORS.length]!, `[${name}]`.padEnd(width + 2))
  return {
    format: (line) => `${tag} ${formatJsonLine(line, color) ?? line}`,
  }
}
