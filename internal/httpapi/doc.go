// Package httpapi is the HTTP transport: routes, authentication of secret
// keys (once, for the whole /api/v1/ tree) and of site keys, CORS for the tracker, RFC 9457 problem responses, request logging and
// metrics. It only translates between HTTP and the domain services; every
// authorization decision is made by the services themselves.
package httpapi
