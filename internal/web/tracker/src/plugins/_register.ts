// How a chunk hands its module to the core: the core's live ac function
// (found by the snippet's global name) carries register as ac.p.
import type { Api } from '../api'

declare const window: any

export function register(name: string, build: (a: Api) => any): void {
  const ac = window[window._presageSdk || window._genesysJourneySdk || 'ac']
  if (ac && ac.p) ac.p(name, build)
}
