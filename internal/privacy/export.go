package privacy

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/keys"
	"github.com/presage-dev/presage/internal/presage"
)

// ExportFormat names the layout of an export bundle.
const ExportFormat = "presage-export/1"

// Bundle is an export: one JSON document holding every file, with a README
// that explains each.
type Bundle struct {
	Format       string            `json:"format"`
	Organization string            `json:"organization"`
	RequestID    string            `json:"requestId"`
	GeneratedAt  time.Time         `json:"generatedAt"`
	Readme       map[string]string `json:"readme"`
	Files        map[string]any    `json:"files"`
}

// bundleReadme describes the files that are not a holder's.
var bundleReadme = map[string]string{
	"subject.json":  "Who this export is about: the identifying values given in the request and the customer and visitor (device) ids they matched.",
	"requests.json": "Every data subject request made about this person: its type, when it was received, its due date, status and result.",
}

// exportSubject is the key subject an export bundle is sealed with: its own
// data key, destroyed with the bundle.
func exportSubject(requestID string) string { return "request:" + requestID }

// export builds the bundle, stores it sealed and completes the request.
func (j *job) export(ctx context.Context, sub Subject) error {
	if err := j.status(ctx, StatusFinalizing); err != nil {
		return err
	}
	r := j.request()
	b := Bundle{Format: ExportFormat, Organization: r.OrgID, RequestID: r.ID, GeneratedAt: j.s.now(),
		Readme: map[string]string{}, Files: map[string]any{}}
	for name, about := range bundleReadme {
		b.Readme[name] = about
	}
	b.Files["subject.json"] = map[string]any{"terms": r.Terms, "customerIds": sub.CustomerIDs, "visitorIds": sub.VisitorIDs}
	counts := Counts{}
	for _, h := range j.s.opt.Holders {
		sections, err := h.Export(ctx, sub)
		if err != nil {
			return fmt.Errorf("export %s: %w", h.Name(), err)
		}
		for _, sec := range sections {
			b.Readme[sec.Name] = sec.About
			b.Files[sec.Name] = sec.Data
		}
	}
	about, err := j.s.requestsAbout(ctx, sub, r.ID)
	if err != nil {
		return err
	}
	b.Files["requests.json"] = about
	for k, v := range r.Progress.Counts {
		counts[k] = v
	}
	content, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode export: %w", err)
	}
	sealers, err := j.s.opt.Keys.Sealers(ctx, r.OrgID, []string{exportSubject(r.ID)})
	if err != nil {
		return fmt.Errorf("export key: %w", err)
	}
	st, err := j.s.opt.Store.GetPrivacySettings(ctx, r.OrgID)
	if err != nil {
		return fmt.Errorf("privacy settings: %w", err)
	}
	now := j.s.now()
	expires := now.AddDate(0, 0, max(st.Retention.ExportsDays, 1))
	e := Export{OrgID: r.OrgID, RequestID: r.ID, Content: sealers[exportSubject(r.ID)].Seal(string(content)),
		Size: int64(len(content)), CreatedAt: now, ExpiresAt: expires}
	if err := j.s.opt.Store.PutExport(ctx, e); err != nil {
		return fmt.Errorf("store export: %w", err)
	}
	return j.complete(ctx, Result{Counts: counts, ExportID: r.ID, ExpiresAt: &expires})
}

// requestsAbout lists the organization's requests whose subject shares a
// customer or visitor with sub (except is included whatever it matched).
func (s *Service) requestsAbout(ctx context.Context, sub Subject, except string) ([]map[string]any, error) {
	var out []map[string]any
	err := s.eachRequest(ctx, sub.OrgID, func(r Request) error {
		if r.ID != except && !overlaps(r.Progress, sub) {
			return nil
		}
		out = append(out, map[string]any{"id": r.ID, "type": r.Type, "status": r.Status, "receivedAt": r.ReceivedAt,
			"dueAt": r.DueAt, "extensionReason": r.ExtensionReason, "completedAt": r.CompletedAt, "result": r.Result})
		return nil
	})
	return out, err
}

func overlaps(p Progress, sub Subject) bool {
	for _, c := range p.CustomerIDs {
		if slices.Contains(sub.CustomerIDs, c) {
			return true
		}
	}
	for _, v := range p.VisitorIDs {
		if slices.Contains(sub.VisitorIDs, v) {
			return true
		}
	}
	return false
}

// eachRequest calls fn for every request of orgID.
func (s *Service) eachRequest(ctx context.Context, orgID string, fn func(Request) error) error {
	for number := 1; ; number++ {
		rs, total, err := s.opt.Store.ListRequests(ctx, orgID, MaxPageSize, number)
		if err != nil {
			return fmt.Errorf("list requests: %w", err)
		}
		for _, r := range rs {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rs) == 0 || number*MaxPageSize >= total {
			return nil
		}
	}
}

// ExportBundle returns the JSON bundle of a completed export request. The
// download is audited.
func (s *Service) ExportBundle(ctx context.Context, id string) ([]byte, error) {
	orgID, actor, err := authorize(ctx)
	if err != nil {
		return nil, err
	}
	return s.openExport(ctx, orgID, id, actor)
}

func (s *Service) openExport(ctx context.Context, orgID, id, actor string) ([]byte, error) {
	r, err := s.opt.Store.GetRequest(ctx, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("get request: %w", err)
	}
	if r.Type != RequestExport || r.Status != StatusCompleted || r.Result == nil || r.Result.ExportID == "" {
		return nil, presage.Errorf(presage.CodeNotFound, "request %s has no export ready", id)
	}
	e, err := s.opt.Store.GetExport(ctx, orgID, id)
	if err != nil {
		if presage.IsNotFound(err) {
			return nil, presage.Errorf(presage.CodeNotFound, "the export of request %s expired and was deleted", id)
		}
		return nil, fmt.Errorf("get export: %w", err)
	}
	if !s.now().Before(e.ExpiresAt) {
		return nil, presage.Errorf(presage.CodeNotFound, "the export of request %s expired", id)
	}
	plain, err := s.opt.Keys.Open(ctx, orgID, e.Content)
	if err != nil {
		if err == keys.ErrShredded {
			return nil, presage.Errorf(presage.CodeNotFound, "the export of request %s was destroyed", id)
		}
		return nil, fmt.Errorf("open export: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"bytes": len(plain)})
	if err := s.audit(ctx, orgID, actor, "gdpr.export.downloaded", id, detail); err != nil {
		return nil, err
	}
	return []byte(plain), nil
}

// signature signs the download of an export until expires (Unix seconds).
func (s *Service) signature(orgID, id string, expires int64) string {
	return hex.EncodeToString(s.opt.Keys.Sign("export", []byte(orgID+"\x00"+id+"\x00"+strconv.FormatInt(expires, 10))))
}

// ExportPath returns the signed, expiring path of a completed export
// request's bundle ("/gdpr/exports/{org}.{id}?expires=…&sig=…"), "" when
// there is none. The transport prefixes its public base URL. Anyone holding
// the URL can download until it expires: hand it to the data subject only.
func (s *Service) ExportPath(r Request) string {
	if r.Result == nil || r.Result.ExportID == "" || r.Result.ExpiresAt == nil {
		return ""
	}
	exp := r.Result.ExpiresAt.Unix()
	return fmt.Sprintf("/gdpr/exports/%s.%s?expires=%d&sig=%s", r.OrgID, r.ID, exp, s.signature(r.OrgID, r.ID, exp))
}

// SignedExport returns the bundle a signed path names ({org}.{id}, expires,
// sig) if the signature is valid and it has not expired; it needs no
// principal. Every failure reads the same, so URLs cannot be probed.
func (s *Service) SignedExport(ctx context.Context, token, expires, sig string) ([]byte, error) {
	denied := presage.Errorf(presage.CodeForbidden, "this download link is invalid or has expired")
	orgID, id, ok := strings.Cut(token, ".")
	exp, err := strconv.ParseInt(expires, 10, 64)
	if !ok || err != nil {
		return nil, denied
	}
	want := s.signature(orgID, id, exp)
	if !hmac.Equal([]byte(want), []byte(sig)) || !s.now().Before(time.Unix(exp, 0)) {
		return nil, denied
	}
	b, err := s.openExport(ctx, orgID, id, "signed-url")
	if presage.IsNotFound(err) {
		return nil, denied
	}
	return b, err
}
