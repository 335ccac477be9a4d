package sealed

import (
	"slices"
	"strings"
	"testing"
)

func TestBundleRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 300) // a length that takes two varint bytes
	for _, texts := range [][]string{
		{"https://a.example/", "Title", "", `{"k":1}`},
		{"", "", "https://ref.example/", ""},
		{long, long, long, long},
		{"ünïcode ✓", "\x01starts with the mark", "", "{}"},
		{"landing", ""},
		{"", "referrer only"},
	} {
		plain := string(packTexts(texts...))
		if !isBundle(plain) {
			t.Fatalf("pack %q = %q: not a bundle", texts, plain)
		}
		got := make([]string, len(texts))
		ptrs := make([]*string, len(got))
		for i := range got {
			ptrs[i] = &got[i]
		}
		if err := unpackTexts(plain, ptrs); err != nil || !slices.Equal(got, texts) {
			t.Errorf("unpack(pack(%q)) = %q, %v", texts, got, err)
		}
	}
	if plain := packTexts("", "", ""); plain != nil {
		t.Errorf("pack of empty texts = %q, want nil", plain)
	}
}

func TestUnpackRejectsMalformed(t *testing.T) {
	var a, b string
	for _, plain := range []string{"", `{"k":1}`, "\x01", "\x01\x05abc", "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"} {
		if err := unpackTexts(plain, []*string{&a, &b}); err == nil {
			t.Errorf("unpack %q: want an error", plain)
		}
	}
}

// FuzzUnpackTexts: a bundle read back from storage never panics, and what
// unpacks packs again to the same plaintext.
func FuzzUnpackTexts(f *testing.F) {
	f.Add(string(packTexts("https://a.example/", "T", "", "{}")))
	f.Add("\x01\x05abc")
	f.Fuzz(func(t *testing.T, plain string) {
		got := make([]string, 4)
		if err := unpackTexts(plain, []*string{&got[0], &got[1], &got[2], &got[3]}); err != nil {
			return
		}
		if again := string(packTexts(got...)); again != plain && again != "" {
			// Varints have one shortest form; a longer one unpacks to
			// the same texts, which is all a reader needs.
			var back [4]string
			if err := unpackTexts(again, []*string{&back[0], &back[1], &back[2], &back[3]}); err != nil || !slices.Equal(back[:], got) {
				t.Fatalf("repack of %q: %q, %v", plain, back, err)
			}
		}
	})
}
