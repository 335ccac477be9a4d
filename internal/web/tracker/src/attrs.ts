// Client-side validation of attributes and traits, so that well-meant calls
// never make the collector answer 400 (see docs/collector-protocol.md).
// Typed values {dataType, value} are converted as Genesys pages write them
// (value '12' for an integer); what cannot be converted is dropped with a
// console warning.
import { warn } from './state'

const INT = /^[+-]?\d+$/
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

const TYPES: { [k: string]: (v: any) => any } = {
  string: (v) => (typeof v == 'string' ? v.slice(0, 1024) : typeof v == 'number' && isFinite(v) || typeof v == 'boolean' ? '' + v : undefined),
  number: (v) => {
    const n = typeof v == 'string' && NUM.test(v.trim()) ? +v : v
    return typeof n == 'number' && isFinite(n) ? n : undefined
  },
  integer: (v) => {
    const n = typeof v == 'string' && INT.test(v.trim()) ? +v : v
    return typeof n == 'number' && Number.isSafeInteger(n) ? n : undefined
  },
  boolean: (v) => (typeof v == 'boolean' ? v : /^(true|false)$/i.test(v) ? /^t/i.test(v) : undefined),
  date: (v) => {
    if (v instanceof Date) return isNaN(+v) ? undefined : v.toISOString().slice(0, 10)
    return typeof v == 'string' && /^\d{4}-\d\d-\d\d$/.test(v) ? v : undefined
  },
  datetime: (v) => {
    const d = v instanceof Date ? v : typeof v == 'string' || typeof v == 'number' ? new Date(v) : null
    return d && !isNaN(+d) ? d.toISOString() : undefined
  },
}

// value returns v as an accepted attribute value, or undefined to drop it
// (with a warning naming key k).
function value(k: string, v: any): any {
  const t = typeof v
  if (t == 'string') return v.slice(0, 1024)
  if (t == 'boolean') return v
  if (t == 'number' && isFinite(v)) return v
  if (v instanceof Date && !isNaN(+v)) return { dataType: 'datetime', value: v.toISOString() }
  if (v && t == 'object' && 'dataType' in v) {
    const f = TYPES[v.dataType]
    const x = f ? f(v.value) : undefined
    if (x !== undefined) return { dataType: v.dataType, value: x }
    warn('attribute "' + k + '": ' + JSON.stringify(v.value) + (f ? ' is not a valid ' : ' has an unknown dataType ') + v.dataType + '; dropped')
    return
  }
  warn('attribute "' + k + '": a value must be a string, number, boolean, Date or {dataType, value}; dropped')
}

// key coerces a name to 1–64 characters of [A-Za-z0-9_.:-], or returns ''.
export function key(k: string): string {
  return String(k).replace(/[^\w.:-]/g, '_').slice(0, 64)
}

// clean returns a copy of o with at most 50 valid keys and values, or
// undefined when nothing is left.
export function clean(o: any): { [k: string]: any } | undefined {
  if (!o || typeof o != 'object') return
  const r: { [k: string]: any } = {}
  let n = 0
  for (const k in o) {
    if (n == 50) {
      warn('more than 50 attributes; the rest are dropped')
      break
    }
    const kk = key(k)
    const v = value(k, o[k])
    if (kk && v !== undefined && !(kk in r)) {
      r[kk] = v
      n++
    }
  }
  return n ? r : undefined
}
