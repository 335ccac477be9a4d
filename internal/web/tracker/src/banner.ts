// The built-in consent banner, the preferences panel and the "Privacy
// settings" button: plain DOM in an open shadow root (#presage-consent), so
// the site's styles and ours never mix. Accept and Reject look the same;
// withdrawing everything is one click in the panel.
import { kills, on, st } from './state'
import { cs, decide, info, Info, record } from './consent'

export const L: { [k: string]: string } = {
  accept: 'Accept all',
  reject: 'Reject all',
  choose: 'Choose',
  save: 'Save choices',
  withdraw: 'Withdraw all',
  settings: 'Privacy settings',
}

const CSS =
  ':host{all:initial}[hidden]{display:none!important}' +
  '.b{position:fixed;z-index:2147483647;left:0;right:0;bottom:0;margin:1em auto;width:calc(100% - 2em);max-width:38em;max-height:calc(100vh - 2em);overflow:auto;box-sizing:border-box;padding:1.2em;background:#fff;color:#222;border:2px solid #222;border-radius:8px;box-shadow:0 4px 24px #0005;font:16px/1.45 system-ui,sans-serif}' +
  'h2{font-size:1.2em;margin:0 0 .5em}p,label{display:block;margin:.5em 0}input{margin:0 .6em 0 0;width:1.1em;height:1.1em;vertical-align:-.15em}' +
  '.a{display:grid;grid-template-columns:repeat(auto-fit,minmax(9em,1fr));gap:.6em;margin-top:1em;position:sticky;bottom:-1.2em;background:#fff;padding:.6em 0 1.2em}' +
  'button{font:600 16px/1.2 system-ui,sans-serif;padding:.7em 1em;border:2px solid #222;border-radius:6px;background:#fff;color:#222;cursor:pointer}button:hover{background:#eee}' +
  ':focus-visible{outline:3px solid #0b5cd5;outline-offset:2px}' +
  '.ps{position:fixed;z-index:2147483646;left:.6em;bottom:.6em;font-size:13px;padding:.4em .7em}' +
  '@media(prefers-reduced-motion:no-preference){.b{animation:i .25s ease-out}@keyframes i{from{opacity:0;transform:translateY(1em)}}}'

let ui = false // the built-in UI is wanted (consent.banner)
let bridged = false // a consent manager decides: no built-in UI
let host: HTMLElement | null = null
let root: ShadowRoot
let ps: HTMLElement // the Privacy settings button
let dlg: HTMLElement | null = null
let isPanel = false
let back: any = null // focused before the dialog opened

const decided = () => Object.keys(cs.p).length > 0

// h creates an element; attribute "on" is a click handler, false skips one.
function h(tag: string, a?: any, ...kids: any[]): HTMLElement {
  const e = document.createElement(tag)
  for (const k in a) if (a[k] !== false) k == 'on' ? e.addEventListener('click', a[k]) : e.setAttribute(k, a[k] === true ? '' : a[k])
  e.append(...kids)
  return e
}

function mount(): boolean {
  if (!host && document.body) {
    host = h('div', { id: 'presage-consent' })
    root = host.attachShadow({ mode: 'open' })
    ps = h('button', { type: 'button', class: 'ps', 'aria-label': L.settings, on: () => render(true) }, L.settings)
    root.append(h('style', 0, CSS), ps)
    document.body.append(host)
    kills.push(() => host!.remove())
  }
  if (host) ps.hidden = !!dlg || !ui || bridged || !decided()
  return !!host
}

// setupUi reads the consent options of init; c.privacyLink is a selector of
// the site's own links that open the panel.
export function setupUi(c: any, need: boolean): void {
  ui = c.banner == null ? need : !!c.banner
  Object.assign(L, c.labels)
  const sel = c.privacyLink
  if (typeof sel == 'string') {
    const f = (e: any) => {
      try {
        if (e.target.closest(sel)) e.preventDefault(), render(true)
      } catch (x) {}
    }
    document.addEventListener('click', f, true)
    kills.push(() => document.removeEventListener('click', f, true))
  }
  // A decision made elsewhere (ac('consent', …)) closes the banner.
  on('consent', () => (dlg && !isPanel && cs.p.analytics ? close() : ui && mount()))
}

// showUi shows the banner when nothing is decided yet, else the Privacy
// settings button (after init and the snippet's queue, so a bridge wins).
export function showUi(): void {
  if (!ui || bridged) return
  const go = () => (decided() && cs.p.analytics ? mount() : render(false))
  document.body ? go() : document.addEventListener('DOMContentLoaded', go)
}

export function hideUi(): void {
  bridged = true
  close()
}

function close(): void {
  if (dlg) dlg.remove(), (dlg = null), mount(), back && back.focus && back.focus()
  back = null
}

// render shows the banner, or the preferences panel (panel true).
export function render(panel: boolean, fromBanner?: boolean): void {
  info().then((i: Info | null) => {
    if (!i || st.dead || (bridged && !panel) || !mount()) return
    const txt = (p: any) => i.texts[p.name] || ''
    // Consent can be asked only for what the notice describes.
    const ask = (p: any) => p.basis == 'consent' && txt(p)
    const all = i.purposes.filter(ask).map((p) => p.name)
    const o = { notice: i.version }
    const m = panel ? 'preferences' : 'banner'
    const btn = (l: string, f: () => void) => h('button', { type: 'button', on: () => (close(), f()) }, l)
    const items = i.purposes
      .filter(txt)
      .map((p) => {
        const t = [h('b', 0, p.name[0].toUpperCase() + p.name.slice(1).replace(/_/g, ' ')), ' ', txt(p)]
        return panel && ask(p)
          ? h('label', 0, h('input', { type: 'checkbox', name: p.name, checked: cs.p[p.name] == 'granted' }), ...t)
          : h('p', 0, ...t)
      })
    const save = () => {
      const want: { [p: string]: boolean } = {}
      for (const x of Array.from(d.querySelectorAll('input'))) want[x.name] = x.checked
      record(want, o, m)
    }
    const acts = panel
      ? [
          btn(L.save, save),
          btn(L.accept, () => decide('grant', all, o, m)),
          decided() ? btn(L.withdraw, () => decide('withdraw', undefined, o, m)) : btn(L.reject, () => decide('deny', all, o, m)),
        ]
      : [
          btn(L.accept, () => decide('grant', all, o, m)),
          btn(L.reject, () => decide('deny', all, o, m)),
          h('button', { type: 'button', on: () => render(true, true) }, L.choose),
        ]
    const d = h(
      'div',
      { class: 'b', role: 'dialog', 'aria-labelledby': 'pc-t', 'aria-describedby': 'pc-d', tabindex: -1, lang: i.language || false },
      h('h2', { id: 'pc-t' }, i.title),
      h('div', { id: 'pc-d' }, ...items),
      h('div', { class: 'a' }, ...acts),
    )
    // Escape closes the panel without deciding (back to the banner if it came from there).
    d.addEventListener('keydown', (e) => panel && e.key == 'Escape' && (fromBanner ? render(false) : close()))
    if (!dlg) back = root.activeElement || document.activeElement
    dlg ? dlg.replaceWith(d) : root.append(d)
    dlg = d
    isPanel = panel
    mount()
    d.focus()
  })
}
