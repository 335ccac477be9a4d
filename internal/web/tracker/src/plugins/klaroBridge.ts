// Plugin klaroBridge: Klaro decides (see _bridge.ts).
import type { Api } from '../api'
import { register } from './_register'
import { sync } from './_bridge'

declare const window: any

// klaroBridge follows Klaro (window.klaro): the manager's consents once the
// visitor has confirmed them, then each save. services maps a purpose to the
// Klaro service name that stands for it.
register('klaroBridge', (a: Api) => (o?: any): void => {
  a.bridge()
  const svc = (o && o.services) || { analytics: 'presage-analytics', marketing: 'presage-marketing' }
  const go = (m: any) => {
    const c = m.consents || {}
    const want: { [p: string]: boolean } = {}
    for (const p in svc) if (svc[p] in c) want[p] = !!c[svc[p]]
    sync(a, want, { klaro: { ...c } })
  }
  let n = 0
  const find = (): any => {
    let m: any
    try {
      m = window.klaro.getManager()
    } catch (e) {
      return ++n < 40 && setTimeout(find, 250) // Klaro not loaded (or not configured) yet
    }
    const w = { update: (x: any, name: string) => name == 'saveConsents' && go(x) }
    m.watch(w)
    a.kills.push(() => m.unwatch(w))
    if (m.confirmed) go(m)
  }
  find()
})
