package consent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func goldenRecord() Record {
	return Record{
		OrgID:         "org_golden",
		Seq:           7,
		ID:            "cr_golden",
		VisitorID:     "v-12345678",
		CustomerID:    "cus_golden",
		Action:        ActionGrant,
		Decisions:     map[string]Decision{"sales": Objected, "analytics": Granted, "marketing": Objected},
		NoticeVersion: 3,
		NoticeHash:    "5e1f",
		Method:        MethodBanner,
		RecordedAt:    time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC),
		IPPrefix:      "203.0.113.0/24",
		UserAgent:     "Mozilla/5.0 <\"quoted\"> & é \u2028",
		Artefact:      json.RawMessage(`{ "tcf" : "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA",  "signals": {"gpc": true, "dnt": false} }`),
		PrevHash:      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Hash:          "ignored",
	}
}

func goldenNotice() Notice {
	return Notice{OrgID: "org_golden", Version: 2, Language: "fr-FR", Title: "Vos choix",
		Texts: map[string]string{"sales": "Ventes : …", "analytics": "Mesure d'audience : …"}, SHA256: "ignored"}
}

// goldenBasedNotice is goldenNotice recording the basis of each text.
func goldenBasedNotice() Notice {
	n := goldenNotice()
	n.Bases = map[string]Basis{"sales": BasisConsent, "analytics": BasisLegitimateInterest}
	return n
}

type golden struct {
	RecordCanonical string `json:"recordCanonical"`
	RecordHash      string `json:"recordHash"`
	NoticeCanonical string `json:"noticeCanonical"`
	NoticeHash      string `json:"noticeHash"`
	// Notices that record bases; a notice without them hashes as before.
	BasedNoticeCanonical string `json:"basedNoticeCanonical"`
	BasedNoticeHash      string `json:"basedNoticeHash"`
	// Version 2: the subject commitment of goldenSealedRecord and the
	// record, whose hash covers the commitment instead of the values.
	SubjectCanonical      string `json:"subjectCanonical"`
	SubjectCommitment     string `json:"subjectCommitment"`
	SealedRecordCanonical string `json:"sealedRecordCanonical"`
	SealedRecordHash      string `json:"sealedRecordHash"`
}

// goldenSealedRecord is goldenRecord as a version 2 record with a fixed salt.
func goldenSealedRecord() Record {
	r := goldenRecord()
	r.SubjectSalt = "00112233445566778899aabbccddeeff"
	r.SubjectCommitment = SubjectCommitment(r)
	return r
}

func TestHashGolden(t *testing.T) {
	sealed := goldenSealedRecord()
	got := golden{
		RecordCanonical: string(CanonicalRecord(goldenRecord())),
		RecordHash:      HashRecord(goldenRecord()),
		NoticeCanonical: string(CanonicalNotice(goldenNotice())),
		NoticeHash:      NoticeHash(goldenNotice()),

		BasedNoticeCanonical: string(CanonicalNotice(goldenBasedNotice())),
		BasedNoticeHash:      NoticeHash(goldenBasedNotice()),

		SubjectCanonical:      string(CanonicalSubject(sealed.SubjectSalt, sealed.VisitorID, sealed.CustomerID, sealed.IPPrefix, sealed.UserAgent)),
		SubjectCommitment:     sealed.SubjectCommitment,
		SealedRecordCanonical: string(CanonicalRecord(sealed)),
		SealedRecordHash:      HashRecord(sealed),
	}
	path := filepath.Join("testdata", "hash_golden.json")
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(got)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("hashes changed (a stored chain would no longer verify):\n got %+v\nwant %+v", got, want)
	}
	sum := sha256.Sum256([]byte(goldenRecord().PrevHash + "\n" + want.RecordCanonical))
	if hex.EncodeToString(sum[:]) != want.RecordHash {
		t.Error("the golden record hash is not SHA-256(prevHash + \"\\n\" + canonical)")
	}
	sum = sha256.Sum256([]byte(want.SubjectCanonical))
	if hex.EncodeToString(sum[:]) != want.SubjectCommitment {
		t.Error("the golden subject commitment is not SHA-256(canonical subject)")
	}
	sum = sha256.Sum256([]byte(sealed.PrevHash + "\n" + want.SealedRecordCanonical))
	if hex.EncodeToString(sum[:]) != want.SealedRecordHash {
		t.Error("the golden sealed record hash is not SHA-256(prevHash + \"\\n\" + canonical)")
	}
	for _, value := range []string{sealed.VisitorID, sealed.CustomerID, sealed.IPPrefix, sealed.SubjectSalt} {
		if strings.Contains(want.SealedRecordCanonical, value) {
			t.Errorf("the canonical version 2 record holds %q", value)
		}
	}
	if !strings.HasPrefix(want.SealedRecordCanonical, `{"v":2,`) || strings.HasPrefix(want.RecordCanonical, `{"v"`) {
		t.Error("the canonical forms of version 1 and 2 are not told apart by their start")
	}
	if !json.Valid([]byte(got.SealedRecordCanonical)) || !json.Valid([]byte(got.SubjectCanonical)) {
		t.Error("version 2 canonical forms are not valid JSON")
	}
	if !json.Valid([]byte(got.RecordCanonical)) || !json.Valid([]byte(got.NoticeCanonical)) {
		t.Error("canonical forms are not valid JSON")
	}
}

func TestHashRecordIgnoresRepresentation(t *testing.T) {
	base := goldenRecord()
	want := HashRecord(base)
	same := []struct {
		name string
		mod  func(*Record)
	}{
		{"hash field", func(r *Record) { r.Hash = "other" }},
		{"map built in another order", func(r *Record) {
			r.Decisions = map[string]Decision{}
			for _, p := range []string{"marketing", "analytics", "sales"} {
				r.Decisions[p] = base.Decisions[p]
			}
		}},
		{"time zone", func(r *Record) { r.RecordedAt = r.RecordedAt.In(time.FixedZone("CET", 3600)) }},
		{"sub-millisecond time", func(r *Record) { r.RecordedAt = r.RecordedAt.Add(400 * time.Microsecond) }},
		{"artefact whitespace", func(r *Record) {
			r.Artefact = json.RawMessage(`{"tcf":"CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA","signals":{"gpc":true,"dnt":false}}`)
		}},
	}
	for _, tt := range same {
		r := goldenRecord()
		tt.mod(&r)
		if got := HashRecord(r); got != want {
			t.Errorf("%s changed the hash", tt.name)
		}
	}
	differs := []struct {
		name string
		mod  func(*Record)
	}{
		{"org", func(r *Record) { r.OrgID = "org_other" }},
		{"seq", func(r *Record) { r.Seq++ }},
		{"id", func(r *Record) { r.ID = "cr_other" }},
		{"visitor", func(r *Record) { r.VisitorID = "v-other000" }},
		{"customer", func(r *Record) { r.CustomerID = "" }},
		{"action", func(r *Record) { r.Action = ActionDeny }},
		{"decision", func(r *Record) { r.Decisions["analytics"] = Denied }},
		{"extra decision", func(r *Record) { r.Decisions["support"] = Denied }},
		{"notice version", func(r *Record) { r.NoticeVersion = 4 }},
		{"notice hash", func(r *Record) { r.NoticeHash = "5e1e" }},
		{"method", func(r *Record) { r.Method = MethodPreferences }},
		{"time", func(r *Record) { r.RecordedAt = r.RecordedAt.Add(time.Millisecond) }},
		{"ip prefix", func(r *Record) { r.IPPrefix = "203.0.114.0/24" }},
		{"user agent", func(r *Record) { r.UserAgent += " " }},
		{"artefact", func(r *Record) { r.Artefact = json.RawMessage(`{"tcf":"x"}`) }},
		{"no artefact", func(r *Record) { r.Artefact = nil }},
		{"damaged artefact", func(r *Record) { r.Artefact = json.RawMessage(`{"tcf":`) }},
		{"prev hash", func(r *Record) { r.PrevHash = "" }},
		{"field moved between strings", func(r *Record) { r.IPPrefix, r.UserAgent = r.IPPrefix+r.UserAgent[:1], r.UserAgent[1:] }},
	}
	for _, tt := range differs {
		r := goldenRecord()
		tt.mod(&r)
		if got := HashRecord(r); got == want {
			t.Errorf("%s did not change the hash", tt.name)
		}
	}
}

func TestNoticeHash(t *testing.T) {
	want := NoticeHash(goldenNotice())
	n := goldenNotice()
	n.SHA256, n.CreatedAt = "x", time.Now()
	if NoticeHash(n) != want {
		t.Error("SHA256 or CreatedAt changed the notice hash")
	}
	for name, mod := range map[string]func(*Notice){
		"org":      func(n *Notice) { n.OrgID = "org_x" },
		"version":  func(n *Notice) { n.Version = 3 },
		"language": func(n *Notice) { n.Language = "fr" },
		"title":    func(n *Notice) { n.Title = "Vos choix." },
		"text":     func(n *Notice) { n.Texts["sales"] = "Ventes" },
		"purpose":  func(n *Notice) { n.Texts["support"] = "Aide" },
	} {
		n := goldenNotice()
		mod(&n)
		if NoticeHash(n) == want {
			t.Errorf("changing the %s did not change the notice hash", name)
		}
	}
}

func TestSealedRecordHash(t *testing.T) {
	base := goldenSealedRecord()
	hash, commitment := HashRecord(base), base.SubjectCommitment
	tests := []struct {
		name           string
		mod            func(*Record)
		hashChanges    bool
		subjectChanges bool
	}{
		{"visitor", func(r *Record) { r.VisitorID = "v-other000" }, false, true},
		{"customer", func(r *Record) { r.CustomerID = "" }, false, true},
		{"ip prefix", func(r *Record) { r.IPPrefix = "203.0.114.0/24" }, false, true},
		{"user agent", func(r *Record) { r.UserAgent += " " }, false, true},
		{"salt", func(r *Record) { r.SubjectSalt = NewSubjectSalt() }, false, true},
		{"value moved between fields", func(r *Record) { r.VisitorID, r.CustomerID = r.VisitorID+r.CustomerID[:1], r.CustomerID[1:] }, false, true},
		{"anonymized", func(r *Record) {
			r.VisitorID, r.CustomerID, r.IPPrefix, r.UserAgent, r.SubjectSalt = "", "", "", "", ""
		}, false, true},
		{"commitment", func(r *Record) { r.SubjectCommitment = SubjectCommitment(goldenRecord()) }, true, false},
		{"decision", func(r *Record) { r.Decisions["analytics"] = Denied }, true, false},
		{"artefact", func(r *Record) { r.Artefact = nil }, true, false},
		{"prev hash", func(r *Record) { r.PrevHash = "" }, true, false},
	}
	for _, tt := range tests {
		r := goldenSealedRecord()
		tt.mod(&r)
		if got := HashRecord(r) != hash; got != tt.hashChanges {
			t.Errorf("%s: hash changed %v, want %v", tt.name, got, tt.hashChanges)
		}
		if got := SubjectCommitment(r) != commitment; got != tt.subjectChanges {
			t.Errorf("%s: subject commitment changed %v, want %v", tt.name, got, tt.subjectChanges)
		}
	}
	if a, b := Seal(goldenRecord()), Seal(goldenRecord()); a.SubjectSalt == b.SubjectSalt || a.SubjectCommitment == b.SubjectCommitment ||
		len(a.SubjectSalt) != 2*SaltBytes || HashRecord(a) == HashRecord(b) {
		t.Error("two seals of one record share a salt or commitment: commitments would link a subject's records")
	}
}
