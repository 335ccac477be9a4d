package consent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// DecisionInput is one decision of a visitor.
type DecisionInput struct {
	VisitorID string
	Action    Action // grant, deny, withdraw or object
	// Purposes are the purposes decided on; withdraw without purposes
	// withdraws every purpose currently granted and objects to the rest
	// (see Decide).
	Purposes []string
	// NoticeVersion is the notice the visitor saw: required for grant and
	// deny, optional for withdraw and object (stopping processing never
	// waits for a notice), recorded when given.
	NoticeVersion int
	Method        Method
	IPPrefix      string // truncated by the caller: at most /24 (IPv4) or /48 (IPv6)
	UserAgent     string // cut to MaxUserAgent characters
	// Artefact is a consent manager's own record, a JSON object of at most
	// MaxArtefact bytes ({"tcf": "<TC string>", "gcm": {…}, "klaro": {…}}).
	Artefact json.RawMessage
	Signals  presage.PrivacySignals
}

// Limits of visitor input.
const (
	MaxArtefact  = 8 << 10
	MaxUserAgent = 512
)

// visitorMethods are the methods a visitor-facing decision may name.
var visitorMethods = []Method{MethodBanner, MethodPreferences, MethodCMP, MethodGPC}

// Decide records a visitor's decision (the HTTP layer resolved org by site
// key and checked the Origin) and returns the record and the visitor's
// states after it, by purpose. Method defaults to banner.
//
// grant → Granted (on a purpose not based on consent it lifts an
// objection), deny → Denied (Objected for a purpose whose basis is not
// consent: refusing legitimate-interest processing is an objection under
// Article 21 and does not expire), withdraw → Withdrawn, object → Objected;
// purposes not named keep their state. withdraw without purposes withdraws
// every purpose granted and objects to every purpose open to objection (see
// Basis.Objectable): the visitor asked to stop everything. object without
// purposes objects to every purpose open to objection. Withdrawing a
// purpose open to objection records Objected. Granted and Denied stand for
// the organization's TTL. With a GPC signal (or DNT when honoured), the
// organization's GPC purposes are recorded as Objected in the same record
// whatever the visitor clicked, and the artefact keeps the signals under
// "signals". When a withdraw or object changes nothing, nothing is recorded
// and the Record is zero.
func (s *Service) Decide(ctx context.Context, in DecisionInput) (Record, []State, error) {
	org, err := presage.AuthorizeSite(ctx)
	if err != nil {
		return Record{}, nil, err
	}
	if in.Method == "" {
		in.Method = MethodBanner
	}
	if !slices.Contains(visitorMethods, in.Method) {
		return Record{}, nil, presage.Invalid("/method", -1, "method must be banner, preferences, consent_manager or gpc")
	}
	return s.decide(ctx, org.ID, in)
}

func (s *Service) decide(ctx context.Context, orgID string, in DecisionInput) (Record, []State, error) {
	rec, states, err := s.record(ctx, orgID, in)
	if err != nil {
		return rec, states, err
	}
	if err := s.eraseIfDue(ctx, orgID, in.VisitorID, states); err != nil {
		return rec, states, err
	}
	return rec, states, nil
}

// eraseIfDue asks for the visitor's journey to be erased when analytics now
// stands withdrawn or objected and the organization erases on withdrawal.
// It runs after every decision, not only the one that withdrew, so a retried
// withdrawal finishes an erasure that failed the first time.
func (s *Service) eraseIfDue(ctx context.Context, orgID, visitorID string, states []State) error {
	if s.erase == nil {
		return nil
	}
	for _, st := range states {
		if st.Purpose != PurposeAnalytics || (st.Decision != Withdrawn && st.Decision != Objected) {
			continue
		}
		pol, err := s.policy(ctx, orgID)
		if err != nil {
			return err
		}
		if !pol.settings.EraseOnWithdrawal {
			return nil
		}
		if err := s.erase(ctx, orgID, visitorID); err != nil {
			return fmt.Errorf("erase journey on withdrawal: %w", err)
		}
	}
	return nil
}

func (s *Service) record(ctx context.Context, orgID string, in DecisionInput) (Record, []State, error) {
	if !presage.ValidClientID(in.VisitorID) {
		return Record{}, nil, presage.Invalid("/visitorId", -1, "visitorId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
	}
	switch in.Action {
	case ActionGrant, ActionDeny, ActionWithdraw, ActionObject:
	default:
		return Record{}, nil, presage.Invalid("/action", -1, "action must be grant, deny, withdraw or object")
	}
	ipPrefix, err := checkIPPrefix(in.IPPrefix)
	if err != nil {
		return Record{}, nil, err
	}
	pol, err := s.policy(ctx, orgID)
	if err != nil {
		return Record{}, nil, err
	}
	artefact, err := checkArtefact(in.Artefact, in.Signals)
	if err != nil {
		return Record{}, nil, err
	}
	var purposes []string
	for i, name := range in.Purposes {
		p, ok := pol.purposes[name]
		if !ok {
			return Record{}, nil, presage.Invalid("/purposes/"+strconv.Itoa(i), -1, "%q is not a declared purpose", name)
		}
		if in.Action == ActionObject && !p.Basis.Objectable() {
			return Record{}, nil, presage.Invalid("/purposes/"+strconv.Itoa(i), -1, "%q rests on %s, which is not open to objection (Article 21 covers legitimate_interest and public_task)%s", name, p.Basis, withdrawHintFor(p.Basis))
		}
		if !slices.Contains(purposes, name) {
			purposes = append(purposes, name)
		}
	}
	stopping := in.Action == ActionWithdraw || in.Action == ActionObject
	if len(purposes) == 0 && !stopping {
		return Record{}, nil, presage.Invalid("/purposes", -1, "name at least one purpose to %s", in.Action)
	}
	var notice Notice
	if in.NoticeVersion != 0 || !stopping {
		if in.NoticeVersion < 1 {
			return Record{}, nil, presage.Invalid("/notice", -1, "notice must be the version of the notice shown to the visitor")
		}
		notice, err = s.store.GetNotice(ctx, orgID, in.NoticeVersion)
		if presage.IsNotFound(err) {
			return Record{}, nil, presage.Invalid("/notice", -1, "notice %d does not exist", in.NoticeVersion)
		}
		if err != nil {
			return Record{}, nil, fmt.Errorf("get notice: %w", err)
		}
	}
	if in.Action == ActionGrant {
		// Consent must be informed: the notice the visitor saw has to describe
		// every purpose granted, for the basis the purpose rests on.
		for i, name := range in.Purposes {
			if _, ok := notice.Texts[name]; !ok {
				return Record{}, nil, presage.Invalid("/purposes/"+strconv.Itoa(i), -1, "notice %d does not describe %q: publish a notice that does", notice.Version, name)
			}
			if b := pol.purposes[name].Basis; notice.BasisOf(name) != b {
				return Record{}, nil, presage.Invalid("/purposes/"+strconv.Itoa(i), -1, "notice %d describes %q for %s, but it rests on %s now: show the newest notice", notice.Version, name, notice.BasisOf(name), b)
			}
		}
	}
	customerID, err := s.customerOf(ctx, orgID, in.VisitorID)
	if err != nil {
		return Record{}, nil, err
	}
	base := Record{
		OrgID:         orgID,
		VisitorID:     in.VisitorID,
		CustomerID:    customerID,
		Action:        in.Action,
		NoticeVersion: notice.Version,
		NoticeHash:    notice.SHA256,
		Method:        in.Method,
		IPPrefix:      ipPrefix,
		UserAgent:     cutUserAgent(in.UserAgent),
		Artefact:      artefact,
	}
	objected := pol.signalled(in.Signals)
	rec, states, err := s.append(ctx, base, ttlOf(pol.settings), func(current []State) (map[string]Decision, error) {
		ds := map[string]Decision{}
		switch in.Action {
		case ActionGrant:
			for _, p := range purposes {
				ds[p] = Granted
			}
		case ActionDeny:
			for _, p := range purposes {
				ds[p] = Denied
				if pol.purposes[p].Basis != BasisConsent {
					ds[p] = Objected
				}
			}
		case ActionWithdraw:
			if len(purposes) == 0 {
				for _, st := range current {
					if st.Decision == Granted {
						ds[st.Purpose] = Withdrawn
					}
				}
				for _, p := range pol.objectable(current) {
					ds[p] = Objected
				}
			}
			for _, p := range purposes {
				ds[p] = Withdrawn
				if pol.purposes[p].Basis.Objectable() {
					ds[p] = Objected
				}
			}
		case ActionObject:
			targets := purposes
			if len(targets) == 0 {
				targets = pol.objectable(current)
			}
			for _, p := range targets {
				ds[p] = Objected
			}
		}
		if objected {
			for _, p := range pol.gpcPurposes() {
				ds[p] = Objected
			}
		}
		return ds, nil
	})
	if errors.Is(err, errSkip) {
		return Record{}, states, nil
	}
	return rec, states, err
}

// withdrawHintFor says what a visitor can do instead of objecting to
// processing on basis.
func withdrawHintFor(basis Basis) string {
	if basis == BasisConsent {
		return ": withdraw consent instead"
	}
	return ""
}

// Signal records once per visitor that a request carried GPC (or DNT, when
// the organization honours it): a signal record objecting to the GPC
// purposes the visitor's states do not yet show as Objected. A visitor whose
// states already reflect the signal costs one read and no write.
func (s *Service) Signal(ctx context.Context, org presage.Organization, visitorID string, sig presage.PrivacySignals, ipPrefix, ua string) error {
	pol, err := s.policy(ctx, org.ID)
	if err != nil {
		return err
	}
	if !pol.signalled(sig) {
		return nil
	}
	gpc := pol.gpcPurposes()
	if len(gpc) == 0 {
		return nil
	}
	if !presage.ValidClientID(visitorID) {
		return presage.Invalid("/visitorId", -1, "visitorId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -")
	}
	prefix, err := checkIPPrefix(ipPrefix)
	if err != nil {
		return err
	}
	missing := func(current []State) map[string]Decision {
		ds := map[string]Decision{}
		for _, p := range gpc {
			if !slices.ContainsFunc(current, func(st State) bool { return st.Purpose == p && st.Decision == Objected }) {
				ds[p] = Objected
			}
		}
		return ds
	}
	// Fast path without the chain's lock; the build callback checks again
	// under it, so concurrent requests still record one signal.
	current, err := s.store.States(ctx, org.ID, visitorID)
	if err != nil {
		return fmt.Errorf("states: %w", err)
	}
	if len(missing(current)) == 0 {
		return nil
	}
	customerID, err := s.customerOf(ctx, org.ID, visitorID)
	if err != nil {
		return err
	}
	method := MethodGPC
	if !sig.GPC {
		method = MethodDNT
	}
	artefact, _ := json.Marshal(map[string]signalsJSON{"signals": {GPC: sig.GPC, DNT: sig.DNT}})
	base := Record{OrgID: org.ID, VisitorID: visitorID, CustomerID: customerID, Action: ActionSignal,
		Method: method, IPPrefix: prefix, UserAgent: cutUserAgent(ua), Artefact: artefact}
	_, _, err = s.append(ctx, base, ttlOf(pol.settings), func(current []State) (map[string]Decision, error) {
		return missing(current), nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	return err
}

type signalsJSON struct {
	GPC bool `json:"gpc"`
	DNT bool `json:"dnt"`
}

// checkArtefact validates a consent manager's artefact and returns it
// compacted, with "signals" set to the request's signals when any is on.
func checkArtefact(raw json.RawMessage, sig presage.PrivacySignals) (json.RawMessage, error) {
	bad := presage.Invalid("/artefact", -1, "artefact must be a JSON object of at most %d bytes", MaxArtefact)
	trimmed := bytes.TrimSpace(raw)
	if len(raw) > MaxArtefact {
		return nil, bad
	}
	var obj map[string]json.RawMessage
	if len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
		if trimmed[0] != '{' || !json.Valid(trimmed) {
			return nil, bad
		}
		if !sig.GPC && !sig.DNT {
			var b bytes.Buffer
			_ = json.Compact(&b, trimmed) // valid, checked above
			return b.Bytes(), nil
		}
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return nil, bad
		}
	}
	if !sig.GPC && !sig.DNT {
		return nil, nil
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	obj["signals"], _ = json.Marshal(signalsJSON{GPC: sig.GPC, DNT: sig.DNT})
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, bad
	}
	return out, nil
}

// checkIPPrefix accepts "" or a truncated network ("203.0.113.0/24",
// "2001:db8:1::/48"), never a full address.
func checkIPPrefix(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Is4() && p.Bits() > 24 || p.Addr().Is6() && p.Bits() > 48 {
		return "", presage.Invalid("/ipPrefix", -1, "ipPrefix must be a network of at most /24 (IPv4) or /48 (IPv6)")
	}
	return p.Masked().String(), nil
}

// cutUserAgent makes ua valid UTF-8 of at most MaxUserAgent characters.
func cutUserAgent(ua string) string {
	ua = strings.ToValidUTF8(ua, "\uFFFD")
	n := 0
	for i := range ua {
		if n == MaxUserAgent {
			return ua[:i]
		}
		n++
	}
	return ua
}

// ttlOf is the TTL of an organization's decisions.
func ttlOf(set Settings) time.Duration {
	if set.TTL <= 0 {
		return DefaultTTL
	}
	return set.TTL
}
