// Drives Presage's Genesys-compatible GDPR API with Genesys' own SDK, the
// way a Genesys customer's automation would: only the base URL and the
// token differ. Run by internal/app/genesys_sdk_test.go:
//
//   node gdpr.js BASE_URL TOKEN EMAIL NEW_EMAIL
//
// It prints one JSON document of what the SDK returned, which the Go test
// asserts on. Failures of the SDK calls are recorded, not thrown, so the test
// sees every step.
'use strict';

const platformClient = require('purecloud-platform-client-v2');

const [baseURL, token, email, newEmail] = process.argv.slice(2);
if (!baseURL || !token || !email || !newEmail) {
  console.error('usage: node gdpr.js BASE_URL TOKEN EMAIL NEW_EMAIL');
  process.exit(2);
}

// setEnvironment always builds https://api.<environment>; a gateway is how
// the SDK reaches any other host, here the test server over plain HTTP.
const base = new URL(baseURL);
const client = platformClient.ApiClient.instance;
client.setGateway({ host: base.hostname, protocol: base.protocol.replace(/:$/, ''), port: Number(base.port) });
client.setAccessToken(token);
const api = new platformClient.GeneralDataProtectionRegulationApi();

// settle records a call's answer or the error body the SDK rejected with.
async function settle(call) {
  try {
    return { ok: true, body: await call() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? { message: err.message } : err };
  }
}

// poll fetches a request until it completes or fails.
async function poll(id) {
  const deadline = Date.now() + 60000;
  const seen = [];
  for (;;) {
    const r = await api.getGdprRequest(id);
    if (seen[seen.length - 1] !== r.status) seen.push(r.status);
    if (r.status === 'COMPLETED' || r.status === 'ERROR' || Date.now() > deadline) {
      return { request: r, statuses: seen };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  const out = {};

  out.search = await settle(() => api.getGdprSubjects('EMAIL', email));

  // An export of the subject exactly as the search answered it.
  const subject = out.search.ok && out.search.body.entities.length > 0 ? out.search.body.entities[0] : { emailAddresses: [email] };
  out.export = await settle(() => api.postGdprRequests({ requestType: 'GDPR_EXPORT', subject }));
  if (out.export.ok) {
    out.exportDone = await poll(out.export.body.id);
    const url = out.exportDone.request.resultsUrl;
    if (url) {
      // The signed results URL needs no token: hand it to the subject.
      const resp = await fetch(url);
      const text = await resp.text();
      out.download = { status: resp.status, disposition: resp.headers.get('content-disposition'), bytes: text.length,
        json: (() => { try { JSON.parse(text); return true; } catch { return false; } })(), text };
    }
  }

  out.update = await settle(() => api.postGdprRequests({
    requestType: 'GDPR_UPDATE',
    subject: { emailAddresses: [email] },
    replacementTerms: [{ type: 'EMAIL', existingValue: email, updatedValue: newEmail }],
  }));
  if (out.update.ok) out.updateDone = await poll(out.update.body.id);
  out.searchOld = await settle(() => api.getGdprSubjects('EMAIL', email));
  out.searchNew = await settle(() => api.getGdprSubjects('EMAIL', newEmail));

  // Without deleteConfirmed a delete is refused; with it, served.
  out.deleteUnconfirmed = await settle(() => api.postGdprRequests({ requestType: 'GDPR_DELETE', subject: { emailAddresses: [newEmail] } }));
  out.delete = await settle(() => api.postGdprRequests({ requestType: 'GDPR_DELETE', subject: { emailAddresses: [newEmail] } },
    { deleteConfirmed: true }));
  if (out.delete.ok) out.deleteDone = await poll(out.delete.body.id);
  out.searchDeleted = await settle(() => api.getGdprSubjects('EMAIL', newEmail));

  out.page1 = await settle(() => api.getGdprRequests({ pageSize: 2, pageNumber: 1 }));
  out.page2 = await settle(() => api.getGdprRequests({ pageSize: 2, pageNumber: 2 }));

  out.badSearchType = await settle(() => api.getGdprSubjects('TWITTER', '@ada'));
  out.missingRequest = await settle(() => api.getGdprRequest('dsr_missing'));

  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : JSON.stringify(err));
  process.exit(1);
});
