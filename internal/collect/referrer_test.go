package collect

import (
	"testing"

	"github.com/presage-dev/presage/internal/presage"
)

func TestClassifyReferrer(t *testing.T) {
	const page = "https://shop.example/products"
	tests := []struct {
		referrer, page, medium, want string
	}{
		{"https://www.google.com/", page, "", ReferrerSearch},
		{"https://www.google.co.uk/search?q=shoes", page, "", ReferrerSearch},
		{"https://google.de/", page, "", ReferrerSearch},
		{"https://www.google.com.br/", page, "", ReferrerSearch},
		{"https://www.bing.com/search?q=x", page, "", ReferrerSearch},
		{"https://duckduckgo.com/", page, "", ReferrerSearch},
		{"https://search.yahoo.com/", page, "", ReferrerSearch},
		{"https://www.baidu.com/", page, "", ReferrerSearch},
		{"https://yandex.ru/search/", page, "", ReferrerSearch},
		{"https://www.ecosia.org/", page, "", ReferrerSearch},
		{"https://www.qwant.com/", page, "", ReferrerSearch},
		{"https://www.startpage.com/", page, "", ReferrerSearch},
		{"https://search.brave.com/", page, "", ReferrerSearch},
		{"https://www.google.com/", page, "email", ReferrerSearch}, // what the browser saw wins
		{"https://l.facebook.com/l.php?u=x", page, "", ReferrerSocial},
		{"https://m.facebook.com/", page, "", ReferrerSocial},
		{"https://www.instagram.com/", page, "", ReferrerSocial},
		{"https://t.co/abc", page, "", ReferrerSocial},
		{"https://twitter.com/", page, "", ReferrerSocial},
		{"https://x.com/someone", page, "", ReferrerSocial},
		{"https://www.linkedin.com/feed/", page, "", ReferrerSocial},
		{"https://lnkd.in/xyz", page, "", ReferrerSocial},
		{"https://old.reddit.com/r/x", page, "", ReferrerSocial},
		{"https://www.youtube.com/watch?v=1", page, "", ReferrerSocial},
		{"https://www.pinterest.fr/", page, "", ReferrerSocial},
		{"https://www.tiktok.com/", page, "", ReferrerSocial},
		{"https://mastodon.social/@x", page, "", ReferrerSocial},
		{"https://fosstodon.mastodon.host/", page, "", ReferrerSocial},
		{"https://mail.google.com/mail/u/0/", page, "", ReferrerEmail},
		{"https://outlook.live.com/mail/0/", page, "", ReferrerEmail},
		{"https://webmail.example.net/", page, "", ReferrerEmail},
		{"", page, "email", ReferrerEmail},
		{"", page, "Newsletter", ReferrerEmail},
		{"", page, "", ReferrerDirect},
		{"https://shop.example/cart", page, "", ReferrerDirect},
		{"https://www.shop.example/", page, "", ReferrerDirect},
		{"https://blog.example/post", page, "", ReferrerOther},
		{"not a url at all", page, "", ReferrerOther},
		{"https://shop.example/cart", "", "", ReferrerOther},
	}
	for _, tt := range tests {
		if got := ClassifyReferrer(tt.referrer, tt.page, presage.UTM{Medium: tt.medium}); got != tt.want {
			t.Errorf("ClassifyReferrer(%q, %q, medium %q) = %s, want %s", tt.referrer, tt.page, tt.medium, got, tt.want)
		}
	}
}

func TestParseUTM(t *testing.T) {
	got := ParseUTM("https://shop.example/p?utm_source=news&utm_medium=email&utm_campaign=black%20friday&utm_term=shoes&utm_content=hero&x=1#top")
	want := presage.UTM{Source: "news", Medium: "email", Campaign: "black friday", Term: "shoes", Content: "hero"}
	if got != want {
		t.Errorf("ParseUTM = %+v, want %+v", got, want)
	}
	for _, u := range []string{"", "https://shop.example/", "https://shop.example/?q=utm", "https://shop.example/#utm_source=x"} {
		if got := ParseUTM(u); got != (presage.UTM{}) {
			t.Errorf("ParseUTM(%q) = %+v", u, got)
		}
	}
}

func TestEnrich(t *testing.T) {
	req := &Request{Events: []RequestEvent{
		{URL: "https://shop.example/?utm_source=news&utm_medium=email", Referrer: "https://www.google.com/"},
		{URL: "https://shop.example/p?utm_source=news&utm_medium=email"},
		{URL: "https://shop.example/p"},
	}}
	got := Enrich(req, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
	want := []presage.Enrichment{
		{Device: "mobile", Browser: "Safari", OS: "iOS", ReferrerClass: "search", UTM: presage.UTM{Source: "news", Medium: "email"}},
		{Device: "mobile", Browser: "Safari", OS: "iOS", ReferrerClass: "email", UTM: presage.UTM{Source: "news", Medium: "email"}},
		{Device: "mobile", Browser: "Safari", OS: "iOS", ReferrerClass: "direct"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
