// Client-side validation of attributes and traits, so that well-meant calls
// never make the collector answer 400 (see docs/collector-protocol.md).

const TYPES: { [k: string]: (v: any) => any } = {
  string: (v) => (typeof v == 'string' ? v.slice(0, 1024) : undefined),
  number: (v) => (typeof v == 'number' && isFinite(v) ? v : undefined),
  integer: (v) => (typeof v == 'number' && Number.isInteger(v) ? v : undefined),
  boolean: (v) => (typeof v == 'boolean' ? v : undefined),
  date: (v) => {
    if (v instanceof Date) return isNaN(+v) ? undefined : v.toISOString().slice(0, 10)
    return typeof v == 'string' && /^\d{4}-\d\d-\d\d$/.test(v) ? v : undefined
  },
  datetime: (v) => {
    const d = v instanceof Date ? v : typeof v == 'string' || typeof v == 'number' ? new Date(v) : null
    return d && !isNaN(+d) ? d.toISOString() : undefined
  },
}

// value returns v as an accepted attribute value, or undefined to drop it.
function value(v: any): any {
  const t = typeof v
  if (t == 'string') return v.slice(0, 1024)
  if (t == 'boolean') return v
  if (t == 'number') return isFinite(v) ? v : undefined
  if (v instanceof Date) return isNaN(+v) ? undefined : { dataType: 'datetime', value: v.toISOString() }
  if (v && t == 'object' && TYPES[v.dataType]) {
    const x = TYPES[v.dataType](v.value)
    return x === undefined ? undefined : { dataType: v.dataType, value: x }
  }
  return undefined
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
    if (n == 50) break
    const kk = key(k)
    const v = value(o[k])
    if (kk && v !== undefined && !(kk in r)) {
      r[kk] = v
      n++
    }
  }
  return n ? r : undefined
}
