// Plugin autotrackScrollDepth: a scroll event with attributes.percent the
// first time the visitor reaches each percentage of the page (again after an
// SPA route change).
import { listen, on, onStop } from './state'
import { track } from './events'

let done: number[] = []
let active = false

export function autotrackScrollDepth(o?: { percentages?: number[] }): void {
  if (active) return
  active = true
  onStop(() => ((active = false), (done = [])))
  const ps = (o && Array.isArray(o.percentages) ? o.percentages : [25, 50, 75, 100])
    .map(Math.round)
    .filter((p) => p > 0 && p <= 100)
    .sort((a, b) => a - b)
  on('_route', () => (done = []))
  listen(
    window,
    'scroll',
    () => {
      const d = document.documentElement
      const h = Math.max(d.scrollHeight, document.body ? document.body.scrollHeight : 0)
      const pct = h ? ((window.scrollY + window.innerHeight) / h) * 100 : 100
      for (const p of ps)
        if (pct + 0.5 >= p && done.indexOf(p) < 0) {
          done.push(p)
          track('scroll', { attributes: { percent: p } })
        }
    },
    { passive: true },
  )
}
