package collect

import "github.com/presage-dev/presage/internal/presage"

// Enrich derives the enrichment of every event of req: device, browser and OS
// from userAgent, UTM from the event's page URL and the referrer class from
// its referrer and UTM medium. The result is parallel to req.Events.
func Enrich(req *Request, userAgent string) []presage.Enrichment {
	device, browser, os := ParseUserAgent(userAgent)
	out := make([]presage.Enrichment, len(req.Events))
	for i, e := range req.Events {
		utm := ParseUTM(e.URL)
		out[i] = presage.Enrichment{
			Device:        device,
			Browser:       browser,
			OS:            os,
			ReferrerClass: ClassifyReferrer(e.Referrer, e.URL, utm),
			UTM:           utm,
		}
	}
	return out
}
