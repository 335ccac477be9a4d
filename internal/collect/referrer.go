package collect

import (
	"net/url"
	"strings"

	"github.com/presage-dev/presage/internal/presage"
)

// Referrer classes.
const (
	ReferrerSearch = "search"
	ReferrerSocial = "social"
	ReferrerEmail  = "email"
	ReferrerDirect = "direct"
	ReferrerOther  = "other"
)

// ClassifyReferrer returns the referrer class of a page view: search or social
// when the referrer is a known search engine or social network, email when it
// is a webmail host or the page's utm_medium says email, direct when there is
// no referrer or it is the page's own site, else other. A search or social
// referrer wins over the UTM medium: it is what the browser observed.
func ClassifyReferrer(referrer, pageURL string, utm presage.UTM) string {
	host := urlHost(referrer)
	if class := hostClass(host); class != "" {
		return class
	}
	switch strings.ToLower(utm.Medium) {
	case "email", "e-mail", "newsletter", "mail":
		return ReferrerEmail
	case "social", "social-network", "social-media", "sm", "paid-social", "paidsocial":
		return ReferrerSocial
	case "organic":
		if utm.Source != "" && hostClass(strings.ToLower(utm.Source)+".com") == ReferrerSearch {
			return ReferrerSearch
		}
	}
	if strings.TrimSpace(referrer) == "" || host != "" && sameSite(host, urlHost(pageURL)) {
		return ReferrerDirect
	}
	return ReferrerOther
}

// ParseUTM returns the utm_* parameters of a page URL.
func ParseUTM(pageURL string) presage.UTM {
	i := strings.IndexByte(pageURL, '?')
	if i < 0 || !strings.Contains(pageURL[i:], "utm_") {
		return presage.UTM{}
	}
	q := pageURL[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	v, _ := url.ParseQuery(q) // keeps what parses
	return presage.UTM{
		Source:   truncate(v.Get("utm_source"), 256),
		Medium:   truncate(v.Get("utm_medium"), 256),
		Campaign: truncate(v.Get("utm_campaign"), 256),
		Term:     truncate(v.Get("utm_term"), 256),
		Content:  truncate(v.Get("utm_content"), 256),
	}
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// urlHost returns the lower-case host name of an absolute URL, "" if none.
func urlHost(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// sameSite reports whether two hosts are the same, ignoring a "www." prefix.
func sameSite(a, b string) bool {
	return b != "" && strings.TrimPrefix(a, "www.") == strings.TrimPrefix(b, "www.")
}

// webmailHosts are web mail clients: a click from them is an email visit.
var webmailHosts = map[string]bool{
	"mail.google.com": true, "inbox.google.com": true, "outlook.live.com": true, "outlook.office.com": true,
	"outlook.office365.com": true, "mail.yahoo.com": true, "mail.aol.com": true, "mail.proton.me": true,
	"mail.protonmail.com": true, "mail.zoho.com": true, "mail.yandex.ru": true, "mail.yandex.com": true,
	"e.mail.ru": true, "mail.gmx.net": true, "mail.gmx.com": true, "navigator.gmx.net": true, "webmail.web.de": true,
	"mail.qq.com": true, "mail.163.com": true, "icloud.com": true, "www.icloud.com": true, "mail.fastmail.com": true,
}

// shortHosts are link shorteners and one-label sites of social networks.
var shortHosts = map[string]string{
	"t.co": ReferrerSocial, "x.com": ReferrerSocial, "lnkd.in": ReferrerSocial, "youtu.be": ReferrerSocial,
	"t.me": ReferrerSocial, "fb.me": ReferrerSocial, "pin.it": ReferrerSocial, "bsky.app": ReferrerSocial,
	"threads.net": ReferrerSocial, "search.brave.com": ReferrerSearch, "vk.com": ReferrerSocial,
	"news.ycombinator.com": ReferrerSocial,
}

// siteNames maps the registrable name of a host (google in www.google.co.uk)
// to its class.
var siteNames = map[string]string{
	"google": ReferrerSearch, "bing": ReferrerSearch, "duckduckgo": ReferrerSearch, "yahoo": ReferrerSearch,
	"baidu": ReferrerSearch, "yandex": ReferrerSearch, "ecosia": ReferrerSearch, "qwant": ReferrerSearch,
	"startpage": ReferrerSearch, "ask": ReferrerSearch, "naver": ReferrerSearch, "seznam": ReferrerSearch,
	"sogou": ReferrerSearch, "so": ReferrerSearch, "aol": ReferrerSearch, "kagi": ReferrerSearch,
	"facebook": ReferrerSocial, "instagram": ReferrerSocial, "twitter": ReferrerSocial, "linkedin": ReferrerSocial,
	"reddit": ReferrerSocial, "youtube": ReferrerSocial, "pinterest": ReferrerSocial, "tiktok": ReferrerSocial,
	"mastodon": ReferrerSocial, "tumblr": ReferrerSocial, "snapchat": ReferrerSocial, "whatsapp": ReferrerSocial,
	"telegram": ReferrerSocial, "discord": ReferrerSocial, "quora": ReferrerSocial, "xing": ReferrerSocial,
	"weibo": ReferrerSocial, "bsky": ReferrerSocial, "threads": ReferrerSocial,
}

// secondLevels are labels that, before a two-letter country code, form a
// public suffix (co.uk, com.br).
var secondLevels = map[string]bool{"co": true, "com": true, "net": true, "org": true, "ac": true, "ne": true, "or": true, "gov": true, "edu": true}

// hostClass returns the class a referrer host implies, "" if it says nothing.
func hostClass(host string) string {
	if host == "" {
		return ""
	}
	if webmailHosts[host] || strings.HasPrefix(host, "webmail.") {
		return ReferrerEmail
	}
	if c, ok := shortHosts[strings.TrimPrefix(host, "www.")]; ok {
		return c
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return ""
	}
	suffix := 1
	if n := len(labels); n >= 3 && len(labels[n-1]) == 2 && secondLevels[labels[n-2]] {
		suffix = 2
	}
	name := labels[len(labels)-1-suffix]
	if c, ok := siteNames[name]; ok {
		return c
	}
	// Mastodon runs on many domains; its common ones carry the name.
	for _, l := range labels {
		if l == "mastodon" {
			return ReferrerSocial
		}
	}
	return ""
}
