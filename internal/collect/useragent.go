package collect

import "strings"

// Device classes.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceBot     = "bot"
	DeviceUnknown = "unknown"
)

// other is the browser or OS name of anything not recognized.
const other = "Other"

// ParseUserAgent derives the device class (desktop, mobile, tablet, bot,
// unknown), the browser and the operating system from a User-Agent header.
//
// Browsers: Chrome, Chromium, Firefox, Safari, Edge, Opera, Samsung Internet,
// IE, a few others by name, else Other; crawlers and HTTP tools are device
// "bot" with the bot's name as browser (Googlebot, bingbot, curl, …).
// HeadlessChrome is automation but reports as Chrome with the device of its
// platform (see IsAutomated). OS: Windows, macOS, iOS (iPadOS included),
// Android, Linux, ChromeOS, else Other.
func ParseUserAgent(ua string) (device, browser, os string) {
	if strings.TrimSpace(ua) == "" {
		return DeviceUnknown, other, other
	}
	os = parseOS(ua)
	if name, ok := botName(ua); ok {
		return DeviceBot, name, os
	}
	return parseDevice(ua, os), parseBrowser(ua), os
}

// IsAutomated reports whether ua is a bot, an HTTP tool or a headless browser.
func IsAutomated(ua string) bool {
	_, bot := botName(ua)
	return bot || strings.Contains(ua, "HeadlessChrome") || strings.Contains(ua, "PhantomJS")
}

// namedBots are matched first, in order; the name is what ParseUserAgent returns.
var namedBots = []struct{ token, name string }{
	{"Googlebot", "Googlebot"}, {"Google-InspectionTool", "Googlebot"}, {"AdsBot-Google", "Googlebot"},
	{"bingbot", "bingbot"}, {"BingPreview", "bingbot"}, {"DuckDuckBot", "DuckDuckBot"},
	{"YandexBot", "YandexBot"}, {"Baiduspider", "Baiduspider"}, {"Applebot", "Applebot"},
	{"facebookexternalhit", "facebookexternalhit"}, {"Twitterbot", "Twitterbot"}, {"LinkedInBot", "LinkedInBot"},
	{"Slackbot", "Slackbot"}, {"AhrefsBot", "AhrefsBot"}, {"SemrushBot", "SemrushBot"}, {"GPTBot", "GPTBot"},
}

// toolPrefixes are HTTP clients that are never a person's browser.
var toolPrefixes = []struct{ prefix, name string }{
	{"curl/", "curl"}, {"Wget/", "Wget"}, {"python-requests/", "python-requests"}, {"Python-urllib/", "Python-urllib"},
	{"Go-http-client/", "Go-http-client"}, {"axios/", "axios"}, {"node-fetch", "node-fetch"}, {"Java/", "Java"},
	{"okhttp/", "okhttp"}, {"libwww-perl/", "libwww-perl"}, {"PostmanRuntime/", "PostmanRuntime"},
	{"Apache-HttpClient/", "Apache-HttpClient"}, {"HTTPie/", "HTTPie"},
}

// botName recognizes crawlers and HTTP tools.
func botName(ua string) (string, bool) {
	for _, b := range namedBots {
		if strings.Contains(ua, b.token) {
			return b.name, true
		}
	}
	for _, t := range toolPrefixes {
		if strings.HasPrefix(ua, t.prefix) {
			return t.name, true
		}
	}
	for _, tok := range [...]string{"bot", "Bot", "BOT"} {
		// The phone maker Cubot is no robot.
		if i := strings.Index(ua, tok); i >= 0 && !(i >= 2 && strings.EqualFold(ua[i-2:i], "cu")) {
			return "Bot", true
		}
	}
	for _, tok := range [...]string{"crawler", "Crawler", "spider", "Spider", "Slurp"} {
		if strings.Contains(ua, tok) {
			return "Bot", true
		}
	}
	return "", false
}

// browserTokens are checked in order: Chromium-based browsers name Chrome and
// Safari too, so the specific tokens come first.
var browserTokens = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edge/", "Edge"},
	{"OPR/", "Opera"}, {"OPT/", "Opera"}, {"Opera", "Opera"}, {"OPiOS/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"YaBrowser/", "Yandex Browser"}, {"Silk/", "Silk"}, {"Vivaldi/", "Vivaldi"}, {"UCBrowser/", "UC Browser"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Chrome"},
	{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	{"MSIE ", "IE"}, {"Trident/", "IE"},
	{"Safari/", "Safari"},
}

func parseBrowser(ua string) string {
	for _, b := range browserTokens {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	return other
}

func parseOS(ua string) string {
	switch {
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		return "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		return "Linux"
	}
	return other
}

func parseDevice(ua, os string) string {
	switch {
	case strings.Contains(ua, "iPad"), strings.Contains(ua, "Tablet"), strings.Contains(ua, "Kindle"),
		strings.Contains(ua, "Silk/"), os == "Android" && !strings.Contains(ua, "Mobile"):
		return DeviceTablet
	case strings.Contains(ua, "Mobi"), strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPod"),
		strings.Contains(ua, "Windows Phone"):
		return DeviceMobile
	case os == "Windows", os == "macOS", os == "Linux", os == "ChromeOS":
		return DeviceDesktop
	}
	return DeviceUnknown
}
