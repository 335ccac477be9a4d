package identity

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, kind, in, region string
		want                   []string
	}{
		{"email trimmed and lower-cased", KindEmail, " Ada@Example.COM ", "", []string{"ada@example.com"}},
		{"email case-folded, old form kept", KindEmail, "STRAßE@example.de", "", []string{"strasse@example.de", "straße@example.de"}},
		{"email blank", KindEmail, "  ", "", nil},
		{"phone with country code", KindPhone, "+33 6 12 34 56 78", "", []string{"+33612345678"}},
		{"phone national with region", KindPhone, "06 12 34 56 78", "FR", []string{"+33612345678", "0612345678"}},
		{"region case does not matter", KindPhone, "06 12 34 56 78", "fr", []string{"+33612345678", "0612345678"}},
		{"phone national without region", KindPhone, "06 12 34 56 78", "", []string{"0612345678"}},
		{"phone trunk prefix in brackets", KindPhone, "+33 (0)6 12-34.56 78", "", []string{"+33612345678", "+330612345678"}},
		{"phone region ignored with country code", KindPhone, " +1 202 555 0100", "FR", []string{"+12025550100"}},
		{"phone IDD prefix", KindPhone, "00 44 20 7946 0018", "FR", []string{"+442079460018", "00442079460018"}},
		{"phone without digits", KindPhone, "n/a", "FR", nil},
		{"name accents case spaces", KindName, "José  GARCÍA", "", []string{"jose garcia"}},
		{"name already folded", KindName, "jose garcia", "", []string{"jose garcia"}},
		{"name ligature and tabs", KindName, "\tﬁona\u00a0Ø'Brien ", "", []string{"fiona ø'brien"}},
		{"name keeps punctuation", KindName, "Anne-Marie", "", []string{"anne-marie"}},
		{"name blank", KindName, " \u200b ", "", nil},
		{"address punctuation is space", KindAddress, "12, Rue de l'Église\n75001 PARIS", "", []string{"12 rue de l eglise 75001 paris"}},
		{"external id trimmed only", KindExternalID, " C-42 ", "", []string{"C-42"}},
		{"unknown kind trimmed", "other", " X ", "", []string{"X"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.kind, tt.in, tt.region); !slices.Equal(got, tt.want) {
				t.Errorf("Normalize(%s, %q, %q) = %q, want %q", tt.kind, tt.in, tt.region, got, tt.want)
			}
		})
	}
}

// FuzzNormalize checks that Normalize never panics, returns distinct
// non-empty valid UTF-8 candidates, and that its first candidate of the
// textual kinds is a fixed point: normalizing it again changes nothing, so a
// value that was stored normalized is found by itself.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Ada@Example.COM", "+33 (0)6 12-34.56 78", "06 12 34 56 78", "José  GARCÍA",
		"12, Rue de l'Église", "ﬁ ẞ İ ς ℌ", "\u0301\u0301", "+", "00", "\xff"} {
		for _, k := range Kinds {
			f.Add(k, s, "FR")
		}
	}
	f.Fuzz(func(t *testing.T, kind, value, region string) {
		got := Normalize(kind, value, region)
		for i, c := range got {
			if c == "" || slices.Contains(got[:i], c) {
				t.Fatalf("Normalize(%q, %q, %q) = %q: empty or repeated candidate", kind, value, region, got)
			}
			if utf8.ValidString(value) && !utf8.ValidString(c) {
				t.Fatalf("Normalize(%q, %q) = %q: invalid UTF-8 from valid input", kind, value, got)
			}
		}
		if len(got) == 0 || !utf8.ValidString(value) {
			return
		}
		switch kind {
		case KindEmail, KindName, KindAddress, KindExternalID:
			again := Normalize(kind, got[0], region)
			if len(again) == 0 || again[0] != got[0] {
				t.Fatalf("Normalize(%q, %q) = %q, but normalizing %q gives %q", kind, value, got, got[0], again)
			}
		case KindPhone:
			for _, c := range got {
				if c[0] != '+' && (c[0] < '0' || c[0] > '9') {
					t.Fatalf("phone candidate %q of %q is not a number", c, value)
				}
			}
		}
	})
}
