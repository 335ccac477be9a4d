package consent

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/presage-dev/presage/internal/presage"
)

// PurposeInput declares one purpose and its basis.
type PurposeInput struct {
	Name        string
	Basis       Basis
	Description string
}

// SettingsPatch changes the settings whose fields are set.
type SettingsPatch struct {
	GPCObjects        *[]string
	HonourDNT         *bool
	TTLDays           *int
	EraseOnWithdrawal *bool
}

// NoticeInput is a new notice version.
type NoticeInput struct {
	Language string
	Title    string
	Texts    map[string]string // purpose → plain-language text
}

// SubjectHistory is a subject's full ledger history, with the notices its
// records refer to (by version), so it can be handed over as is.
type SubjectHistory struct {
	Records []Record
	Notices map[int]Notice
}

// Limits of administrator input.
const (
	MaxDescription = 1000 // characters of a purpose description
	MaxTitle       = 200  // characters of a notice title
	MaxText        = 4000 // characters of a notice text
	MaxLanguage    = 35   // characters of a language tag
	MaxTTLDays     = 396  // 13 months: the longest a decision may stand before asking again
)

var (
	purposeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	languageTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)
)

// Bases lists the lawful bases of Article 6(1).
var Bases = []Basis{BasisConsent, BasisLegitimateInterest, BasisContract, BasisLegalObligation, BasisVitalInterests, BasisPublicTask}

// Purposes returns the caller's purposes by name (scope read).
func (s *Service) Purposes(ctx context.Context) ([]Purpose, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return nil, err
	}
	return s.purposesOf(ctx, orgID)
}

// purposesOf returns orgID's purposes by name.
func (s *Service) purposesOf(ctx context.Context, orgID string) ([]Purpose, error) {
	ps, err := s.store.ListPurposes(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list purposes: %w", err)
	}
	slices.SortFunc(ps, func(a, b Purpose) int { return strings.Compare(a.Name, b.Name) })
	return ps, nil
}

// PurposesInput declares purposes and the notices published with them.
type PurposesInput struct {
	Purposes []PurposeInput
	// Notices are published once the purposes are stored, each describing
	// its texts for the new bases (see SetPurposes).
	Notices []NoticeInput
}

// PurposesResult is the organization's purposes after SetPurposes and the
// notices it published.
type PurposesResult struct {
	Purposes  []Purpose
	Published []Notice
}

// MaxNoticesPerChange bounds the notices one SetPurposes may publish.
const MaxNoticesPerChange = 50

// SetPurposes inserts or replaces the given purposes (scope admin) and
// returns every purpose. Purposes are never deleted: ledger records refer to
// them. Changing a basis does not touch recorded decisions, but it must
// never leave visitors reading a text written for another basis: for every
// language whose newest notice describes a purpose whose basis changes, the
// change either brings a notice in that language (in.Notices), or the text
// is Presage's default for the old basis and is replaced by the default for
// the new one in a new notice version; otherwise it is refused. See
// planNotices.
func (s *Service) SetPurposes(ctx context.Context, in PurposesInput) (PurposesResult, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return PurposesResult{}, err
	}
	if len(in.Purposes) == 0 {
		return PurposesResult{}, presage.Invalid("/purposes", -1, "at least one purpose is required")
	}
	if len(in.Notices) > MaxNoticesPerChange {
		return PurposesResult{}, presage.Invalid("/notices", -1, "at most %d notices may be published with one change", MaxNoticesPerChange)
	}
	now := s.nowMs()
	ps := make([]Purpose, 0, len(in.Purposes))
	seen := map[string]bool{}
	for i, p := range in.Purposes {
		at := "/purposes/" + strconv.Itoa(i)
		if !purposeName.MatchString(p.Name) {
			return PurposesResult{}, presage.Invalid(at+"/name", -1, "name must be a lower-case letter followed by up to 39 lower-case letters, digits or underscores")
		}
		if seen[p.Name] {
			return PurposesResult{}, presage.Invalid(at+"/name", -1, "purpose %q is listed twice", p.Name)
		}
		seen[p.Name] = true
		if !slices.Contains(Bases, p.Basis) {
			return PurposesResult{}, presage.Invalid(at+"/basis", -1, "basis must be one of consent, legitimate_interest, contract, legal_obligation, vital_interests, public_task")
		}
		desc := strings.TrimSpace(p.Description)
		if desc == "" || !utf8.ValidString(desc) || utf8.RuneCountInString(desc) > MaxDescription {
			return PurposesResult{}, presage.Invalid(at+"/description", -1, "description must be 1 to %d characters of plain language", MaxDescription)
		}
		ps = append(ps, Purpose{OrgID: orgID, Name: p.Name, Basis: p.Basis, Description: desc, UpdatedAt: now})
	}
	notices, err := s.planNotices(ctx, orgID, ps, in.Notices)
	if err != nil {
		return PurposesResult{}, err
	}
	if err := s.store.PutPurposes(ctx, orgID, ps); err != nil {
		return PurposesResult{}, fmt.Errorf("put purposes: %w", err)
	}
	s.orgs.forget(orgID)
	// A crash between the purposes and their notices leaves a text written
	// for the old basis as the newest: View never shows such a text (see
	// describedTexts), and repeating the request publishes the notices.
	out := PurposesResult{Published: []Notice{}}
	for _, n := range notices {
		pub, err := s.publishNotice(ctx, orgID, n)
		if err != nil {
			return PurposesResult{}, err
		}
		out.Published = append(out.Published, pub)
	}
	if out.Purposes, err = s.purposesOf(ctx, orgID); err != nil {
		return PurposesResult{}, err
	}
	return out, nil
}

// Settings returns the caller's consent settings (scope read); an
// organization that never changed them gets DefaultSettings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return Settings{}, err
	}
	return s.settingsOf(ctx, orgID)
}

func (s *Service) settingsOf(ctx context.Context, orgID string) (Settings, error) {
	set, err := s.store.GetSettings(ctx, orgID)
	if presage.IsNotFound(err) {
		return DefaultSettings(orgID), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("get settings: %w", err)
	}
	return set, nil
}

// UpdateSettings changes the caller's settings (scope admin): GPCObjects must
// name declared purposes, TTLDays lies in 1…MaxTTLDays.
func (s *Service) UpdateSettings(ctx context.Context, patch SettingsPatch) (Settings, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return Settings{}, err
	}
	set, err := s.settingsOf(ctx, orgID)
	if err != nil {
		return Settings{}, err
	}
	if patch.GPCObjects != nil {
		ps, err := s.store.ListPurposes(ctx, orgID)
		if err != nil {
			return Settings{}, fmt.Errorf("list purposes: %w", err)
		}
		objects := []string{}
		for i, name := range *patch.GPCObjects {
			if !slices.ContainsFunc(ps, func(p Purpose) bool { return p.Name == name }) {
				return Settings{}, presage.Invalid("/gpcObjects/"+strconv.Itoa(i), -1, "%q is not a declared purpose", name)
			}
			if !slices.Contains(objects, name) {
				objects = append(objects, name)
			}
		}
		slices.Sort(objects)
		set.GPCObjects = objects
	}
	if patch.HonourDNT != nil {
		set.HonourDNT = *patch.HonourDNT
	}
	if patch.TTLDays != nil {
		if d := *patch.TTLDays; d < 1 || d > MaxTTLDays {
			return Settings{}, presage.Invalid("/ttlDays", -1, "ttlDays must be 1 to %d (13 months)", MaxTTLDays)
		}
		set.TTL = time.Duration(*patch.TTLDays) * 24 * time.Hour
	}
	if patch.EraseOnWithdrawal != nil {
		set.EraseOnWithdrawal = *patch.EraseOnWithdrawal
	}
	set.OrgID = orgID
	set.UpdatedAt = s.nowMs()
	if err := s.store.PutSettings(ctx, set); err != nil {
		return Settings{}, fmt.Errorf("put settings: %w", err)
	}
	s.orgs.forget(orgID)
	return set, nil
}

// PublishNotice stores a new, immutable notice version (scope admin). Texts
// may only describe declared purposes, each in 1…MaxText characters.
func (s *Service) PublishNotice(ctx context.Context, in NoticeInput) (Notice, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeAdmin)
	if err != nil {
		return Notice{}, err
	}
	return s.publishNotice(ctx, orgID, in)
}

func (s *Service) publishNotice(ctx context.Context, orgID string, in NoticeInput) (Notice, error) {
	n, err := s.checkNotice(ctx, orgID, in)
	if err != nil {
		return Notice{}, err
	}
	// Another node may publish between the read of the latest version and
	// the insert: the store then answers a conflict and n is numbered again
	// after the new latest. A conflict although the latest did not reach the
	// version tried is no race and is returned.
	var tried int
	var taken error
	for {
		latest, err := s.latestNotice(ctx, orgID)
		if err != nil {
			return Notice{}, err
		}
		if taken != nil && latest < tried {
			return Notice{}, fmt.Errorf("create notice: version %d, the latest being %d: %w", tried, latest, taken)
		}
		tried = latest + 1
		out, err := s.createNotice(ctx, n, tried)
		if presage.ErrorCode(err) != presage.CodeConflict {
			return out, err
		}
		taken = err
	}
}

// latestNotice returns the newest version of orgID's notice, 0 for none.
func (s *Service) latestNotice(ctx context.Context, orgID string) (int, error) {
	ns, err := s.store.ListNotices(ctx, orgID)
	if err != nil {
		return 0, fmt.Errorf("list notices: %w", err)
	}
	if len(ns) == 0 {
		return 0, nil
	}
	return ns[0].Version, nil
}

// createNotice stores n as version of its organization, created now, with
// the hash that covers that version. It returns the store's conflict as is
// when the version exists.
func (s *Service) createNotice(ctx context.Context, n Notice, version int) (Notice, error) {
	n.Version, n.CreatedAt = version, s.nowMs()
	n.SHA256 = NoticeHash(n)
	err := s.store.CreateNotice(ctx, n)
	if presage.ErrorCode(err) == presage.CodeConflict {
		return Notice{}, err
	}
	if err != nil {
		return Notice{}, fmt.Errorf("create notice: %w", err)
	}
	s.notices.forget(n.OrgID)
	return n, nil
}

// checkNotice validates in against orgID's purposes and returns the notice it
// describes, not yet numbered.
func (s *Service) checkNotice(ctx context.Context, orgID string, in NoticeInput) (Notice, error) {
	ps, err := s.store.ListPurposes(ctx, orgID)
	if err != nil {
		return Notice{}, fmt.Errorf("list purposes: %w", err)
	}
	return checkNoticeFor(orgID, in, ps, "")
}

// checkNoticeFor validates in against the purposes ps, naming fields under
// at, and returns the notice, its texts stamped with the purposes' bases.
func checkNoticeFor(orgID string, in NoticeInput, ps []Purpose, at string) (Notice, error) {
	lang, ok := normalizeLanguage(in.Language)
	if !ok {
		return Notice{}, presage.Invalid(at+"/language", -1, "language must be a language tag such as \"en\" or \"fr-FR\" of at most %d characters", MaxLanguage)
	}
	title := strings.TrimSpace(in.Title)
	if title == "" || !utf8.ValidString(title) || utf8.RuneCountInString(title) > MaxTitle {
		return Notice{}, presage.Invalid(at+"/title", -1, "title must be 1 to %d characters", MaxTitle)
	}
	if len(in.Texts) == 0 {
		return Notice{}, presage.Invalid(at+"/texts", -1, "texts must describe at least one purpose")
	}
	texts := make(map[string]string, len(in.Texts))
	bases := make(map[string]Basis, len(in.Texts))
	for _, name := range sortedKeys(in.Texts) {
		at := at + "/texts/" + pointerEscape(name)
		i := slices.IndexFunc(ps, func(p Purpose) bool { return p.Name == name })
		if i < 0 {
			return Notice{}, presage.Invalid(at, -1, "%q is not a declared purpose", name)
		}
		bases[name] = ps[i].Basis
		text := strings.TrimSpace(in.Texts[name])
		if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxText {
			return Notice{}, presage.Invalid(at, -1, "the text of a purpose must be 1 to %d characters", MaxText)
		}
		texts[name] = text
	}
	return Notice{OrgID: orgID, Language: lang, Title: title, Texts: texts, Bases: bases}, nil
}

// Notices returns every notice version of the caller, newest first (scope read).
func (s *Service) Notices(ctx context.Context) ([]Notice, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return nil, err
	}
	ns, err := s.store.ListNotices(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return ns, nil
}

// Notice returns one notice version of the caller (scope read).
func (s *Service) Notice(ctx context.Context, version int) (Notice, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeRead)
	if err != nil {
		return Notice{}, err
	}
	if version < 1 {
		return Notice{}, presage.ErrNotFound
	}
	return s.store.GetNotice(ctx, orgID, version)
}

// History returns the ledger history of a subject (scope gdpr): a visitor id,
// or a customer id ("cus_…") for every visitor of that customer. A subject
// without records gets an empty history.
func (s *Service) History(ctx context.Context, subject string) (SubjectHistory, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeGDPR)
	if err != nil {
		return SubjectHistory{}, err
	}
	if !presage.ValidClientID(subject) {
		return SubjectHistory{}, presage.Invalid("subject", -1, "subject must be a visitor id or a customer id")
	}
	visitorID, customerID := subject, ""
	if strings.HasPrefix(subject, "cus_") {
		visitorID, customerID = "", subject
	}
	recs, err := s.store.SubjectRecords(ctx, orgID, visitorID, customerID)
	if err != nil {
		return SubjectHistory{}, fmt.Errorf("subject records: %w", err)
	}
	h := SubjectHistory{Records: recs, Notices: map[int]Notice{}}
	if h.Records == nil {
		h.Records = []Record{}
	}
	for _, r := range recs {
		if r.NoticeVersion == 0 {
			continue
		}
		if _, ok := h.Notices[r.NoticeVersion]; ok {
			continue
		}
		n, err := s.store.GetNotice(ctx, orgID, r.NoticeVersion)
		if err != nil {
			return SubjectHistory{}, fmt.Errorf("get notice %d: %w", r.NoticeVersion, err)
		}
		h.Notices[r.NoticeVersion] = n
	}
	return h, nil
}

// RecordDecision records a decision collected outside the tracker (scope
// gdpr): Method must be api or import. The record's time is the server's;
// an import keeps the original time in its artefact.
func (s *Service) RecordDecision(ctx context.Context, in DecisionInput) (Record, []State, error) {
	orgID, err := presage.Authorize(ctx, presage.ScopeGDPR)
	if err != nil {
		return Record{}, nil, err
	}
	if in.Method != MethodAPI && in.Method != MethodImport {
		return Record{}, nil, presage.Invalid("/method", -1, "method must be api or import")
	}
	return s.decide(ctx, orgID, in)
}

// normalizeLanguage checks a BCP 47-like tag and writes it in the usual case:
// "fr-fr" → "fr-FR", "zh-hant-tw" → "zh-Hant-TW".
func normalizeLanguage(tag string) (string, bool) {
	if len(tag) > MaxLanguage || !languageTag.MatchString(tag) {
		return "", false
	}
	parts := strings.Split(tag, "-")
	parts[0] = strings.ToLower(parts[0])
	for i := 1; i < len(parts); i++ {
		switch p := parts[i]; {
		case len(p) == 2 && isAlpha(p):
			parts[i] = strings.ToUpper(p)
		case len(p) == 4 && isAlpha(p):
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-"), true
}

func isAlpha(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) < 0
}

// pointerEscape escapes one JSON Pointer reference token (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
