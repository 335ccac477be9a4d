// Shared by the bridges from consent managers: the site's consent manager
// decides and Presage records each change (method consent_manager, with the
// manager's own state as the artefact). With a bridge the built-in UI stays
// hidden.
import type { Api } from '../api'

// sync records want (purpose → granted?) under the latest notice.
export function sync(a: Api, want: { [p: string]: boolean }, artefact: any): void {
  a.info().then((i) => a.record(want, { notice: i && i.version, artefact }, 'consent_manager'))
}
