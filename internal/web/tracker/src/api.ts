// What the core hands its plugin chunks (the Api), and the loader that
// fetches a chunk the first time a page asks for its plugin. A chunk never
// bundles a core module (tracker.go refuses it): it would carry a second
// copy of the core's state.
import { cfg, emit, kills, listen, off, on, onStop, safe, st, warn } from './state'
import { clean, key } from './attrs'
import { track } from './events'
import { cs, decide, info, opt, record } from './consent'

declare const __VERSION__: string
declare const __PLUGINS__: string[]

export const api = {
  cfg,
  st,
  cs,
  opt,
  kills,
  emit,
  listen,
  on,
  off,
  onStop,
  safe,
  warn,
  clean,
  key,
  track,
  decide,
  record,
  info,
  // bridge: a consent manager decides; the built-in banner stays hidden.
  bridge: () => {
    opt.bridged = true
    emit('_bridged')
  },
}

export type Api = typeof api

export const plugins = __PLUGINS__

let dir = '' // URL of the directory of chunks, with a trailing slash
const mods: { [name: string]: Promise<any> } = {}
const waiting: { [name: string]: (m: any) => void } = {}

// chunksAt sets where chunks are loaded from: next to the core's script
// (https://host/sdk.js → https://host/sdk/).
export function chunksAt(script: string): void {
  dir = script.replace(/[?#].*$/, '').replace(/\.js$/, '') + '/'
}

// use loads the chunk of plugin name (once) and resolves to what it
// exports; it rejects for an unknown plugin or a chunk that cannot load.
export function use(name: string): Promise<any> {
  if (plugins.indexOf(name) < 0) return Promise.reject(new Error('Presage: unknown plugin "' + name + '"'))
  return (mods[name] =
    mods[name] ||
    new Promise((resolve, reject) => {
      waiting[name] = resolve
      const s = document.createElement('script')
      s.src = dir + name + '.js?v=' + __VERSION__
      s.async = true
      s.onerror = () => {
        delete mods[name]
        s.remove()
        reject(new Error('Presage: could not load plugin "' + name + '"'))
      }
      ;(document.head || document.documentElement).appendChild(s)
    }))
}

// register is what a chunk calls when its script runs: it hands over its
// module, built from the Api.
export function register(name: string, build: (a: Api) => any): void {
  const r = waiting[name]
  if (r) delete waiting[name], r(build(api))
}
