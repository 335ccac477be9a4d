package consent

import (
	"context"
	"fmt"
	"time"

	"github.com/presage-dev/presage/internal/presage"
)

// DefaultTTL is how long a decision stands by default: 13 months.
const DefaultTTL = 396 * 24 * time.Hour

// DefaultSettings are the settings of an organization that never changed
// them: GPC objects to sales and marketing, DNT is not honoured, decisions
// stand 396 days and a withdrawal keeps the journey data collected before it
// (it was lawfully processed).
func DefaultSettings(orgID string) Settings {
	return Settings{
		OrgID:      orgID,
		GPCObjects: []string{PurposeSales, PurposeMarketing},
		TTL:        DefaultTTL,
	}
}

// defaultPurposes are the purposes every organization starts with, all based
// on consent.
var defaultPurposes = []PurposeInput{
	{Name: PurposeAnalytics, Basis: BasisConsent,
		Description: "Recording the pages you visit and what you do on this site, to understand how it is used and improve it."},
	{Name: PurposeSupport, Basis: BasisConsent,
		Description: "Offering you help while you browse, such as a chat or a call back, based on what you do on this site."},
	{Name: PurposeSales, Basis: BasisConsent,
		Description: "Offering you a chat, a call back or product information when your visit suggests you are interested in buying."},
	{Name: PurposeMarketing, Basis: BasisConsent,
		Description: "Inviting you to events, webinars or newsletters based on your visit."},
}

// Every default text for consent says that withdrawing is as easy as giving
// (a purpose may be shown alone); the first one the banner shows says it in
// full. Every text for legitimate interest names the interest and the right
// to object (Article 21(4): brought to the visitor's attention, presented
// clearly and separately from other information).
const (
	withdrawShort = " You can withdraw your consent at any time, as easily as you gave it."
	withdrawHint  = " Saying no does not limit your use of this site. You can change your mind and withdraw your consent at any time, as easily as you gave it, with the \"Privacy settings\" link at the bottom of every page."
	objectShort   = " You have the right to object to this at any time, in one click, and we then stop."
	objectHint    = " You have the right to object to this at any time, in one click, with the \"Privacy settings\" link at the bottom of every page; we then stop recording your visit. Objecting does not limit your use of this site."
)

// defaultLanguage is the language of the default texts.
const defaultLanguage = "en"

// defaultTexts are Presage's texts for the default purposes, by the basis
// they are written for.
var defaultTexts = map[Basis]map[string]string{
	BasisConsent: {
		PurposeAnalytics: "If you agree, we record the pages you visit and what you do on this site, such as searches and forms, to understand how the site is used and to improve it. If you do not agree, we record nothing about your visit." + withdrawHint,
		PurposeSupport:   "If you agree, we may offer you help while you browse, such as a chat or a call back, based on what you do on this site." + withdrawShort,
		PurposeSales:     "If you agree, we may offer you a chat, a call back or product information when your visit suggests you are interested in buying." + withdrawShort,
		PurposeMarketing: "If you agree, we may invite you to events, webinars or newsletters based on your visit. We never share your data with other companies for their marketing." + withdrawShort,
	},
	BasisLegitimateInterest: {
		PurposeAnalytics: "We record the pages you visit and what you do on this site, such as searches and forms, to understand how the site is used and to improve it. We do this in our legitimate interest in running a site that works well for its visitors; we do not use it to advertise to you elsewhere." + objectHint,
		PurposeSupport:   "We may offer you help while you browse, such as a chat or a call back, based on what you do on this site, in our legitimate interest in helping visitors who seem stuck." + objectShort,
		PurposeSales:     "We may offer you a chat, a call back or product information when your visit suggests you are interested in buying, in our legitimate interest in answering likely customers." + objectShort,
		PurposeMarketing: "We may invite you to events, webinars or newsletters based on your visit, in our legitimate interest in telling visitors about what we offer. We never share your data with other companies for their marketing." + objectShort,
	},
}

// defaultText returns Presage's text for purpose written for basis.
func defaultText(basis Basis, purpose string) (string, bool) {
	t, ok := defaultTexts[basis][purpose]
	return t, ok
}

// DefaultNotice returns the first notice of an organization (English,
// version 1): one short, plain paragraph per default purpose, kept apart from
// any other terms of the site, written for consent.
func DefaultNotice() NoticeInput {
	return defaultNoticeFor(nil)
}

// defaultNoticeFor returns the default notice for the purposes ps (all the
// default purposes on consent when ps is nil): the default text of each
// purpose for its basis; a purpose without one is left out.
func defaultNoticeFor(ps []Purpose) NoticeInput {
	in := NoticeInput{Language: defaultLanguage, Title: "Your privacy choices", Texts: map[string]string{}}
	if ps == nil {
		for _, p := range defaultPurposes {
			ps = append(ps, Purpose{Name: p.Name, Basis: p.Basis})
		}
	}
	for _, p := range ps {
		if t, ok := defaultText(p.Basis, p.Name); ok {
			in.Texts[p.Name] = t
		}
	}
	return in
}

// EnsureDefaults gives orgID what it needs to ask for consent, and nothing it
// already has (operator use, at organization creation and at start-up): the
// four default purposes when it has none, the default settings when it has
// none, and DefaultNotice when it has no notice. Calling it again changes
// nothing; it never overrides an administrator's choices. Nodes running it
// together for one organization publish one notice between them.
func (s *Service) EnsureDefaults(ctx context.Context, orgID string) error {
	defer s.orgs.forget(orgID)
	defer s.notices.forget(orgID)
	ps, err := s.store.ListPurposes(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list purposes: %w", err)
	}
	if len(ps) == 0 {
		now := s.nowMs()
		for _, in := range defaultPurposes {
			ps = append(ps, Purpose{OrgID: orgID, Name: in.Name, Basis: in.Basis, Description: in.Description, UpdatedAt: now})
		}
		if err := s.store.PutPurposes(ctx, orgID, ps); err != nil {
			return fmt.Errorf("put purposes: %w", err)
		}
	}
	if _, err := s.store.GetSettings(ctx, orgID); presage.IsNotFound(err) {
		set := DefaultSettings(orgID)
		set.UpdatedAt = s.nowMs()
		if err := s.store.PutSettings(ctx, set); err != nil {
			return fmt.Errorf("put settings: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("get settings: %w", err)
	}
	ns, err := s.store.ListNotices(ctx, orgID)
	if err != nil {
		return fmt.Errorf("list notices: %w", err)
	}
	if len(ns) == 0 {
		// An organization that declared its own purposes writes its own
		// notice for them; the default purposes get the default texts for
		// the basis they rest on.
		in := defaultNoticeFor(ps)
		if len(in.Texts) > 0 {
			n, err := s.checkNotice(ctx, orgID, in)
			if err != nil {
				return err
			}
			// Version 1 only: when another node ensures the defaults at the
			// same instant and stores its first notice before this one, the
			// store refuses version 1 and that notice stands.
			if _, err := s.createNotice(ctx, n, 1); err != nil && presage.ErrorCode(err) != presage.CodeConflict {
				return err
			}
		}
	}
	return nil
}
