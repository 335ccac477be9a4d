// Bridges from consent managers: the site's consent manager decides and
// Presage records each change (method consent_manager, with the manager's
// own state as the artefact). With a bridge the built-in UI stays hidden.
import { kills } from './state'
import { info, record } from './consent'
import { hideUi } from './banner'

declare const window: any

const CM = 'consent_manager'

function sync(want: { [p: string]: boolean }, artefact: any): void {
  info().then((i) => record(want, { notice: i && i.version, artefact }, CM))
}

// consentModeBridge follows Google Consent Mode v2: the gtag('consent',
// 'default'|'update', {...}) commands in window.dataLayer, merged in order.
// A default alone is the site's default, not the visitor's choice: nothing is
// recorded before the first update.
export function consentModeBridge(): void {
  hideUi()
  const dl = (window.dataLayer = window.dataLayer || [])
  const s: any = {}
  let upd = false
  const read = (a: any) => {
    if (a && a[0] == 'consent' && (a[1] == 'default' || a[1] == 'update') && a[2] && typeof a[2] == 'object') {
      Object.assign(s, a[2])
      return (upd = upd || a[1] == 'update')
    }
  }
  const go = () => {
    if (!upd) return
    const want: { [p: string]: boolean } = {}
    const ad = ['ad_storage', 'ad_user_data', 'ad_personalization']
    if (s.analytics_storage) want.analytics = s.analytics_storage == 'granted'
    if (ad.some((k) => s[k])) want.marketing = ad.every((k) => s[k] == 'granted')
    sync(want, { gcm: { ...s } })
  }
  for (let i = 0; i < dl.length; i++) read(dl[i])
  go()
  const push = dl.push
  dl.push = function () {
    const r = push.apply(this, arguments)
    let c = false
    for (let i = 0; i < arguments.length; i++) c = read(arguments[i]) || c
    if (c) go()
    return r
  }
  kills.push(() => (dl.push = push))
}

// klaroBridge follows Klaro (window.klaro): the manager's consents once the
// visitor has confirmed them, then each save. services maps a purpose to the
// Klaro service name that stands for it.
export function klaroBridge(o?: any): void {
  hideUi()
  const svc = (o && o.services) || { analytics: 'presage-analytics', marketing: 'presage-marketing' }
  const go = (m: any) => {
    const c = m.consents || {}
    const want: { [p: string]: boolean } = {}
    for (const p in svc) if (svc[p] in c) want[p] = !!c[svc[p]]
    sync(want, { klaro: { ...c } })
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
    kills.push(() => m.unwatch(w))
    if (m.confirmed) go(m)
  }
  find()
}
