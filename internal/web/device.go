package web

import "strings"

// The sessions list names a device as people do ("Chrome on Linux"), from
// the session's User-Agent; the raw string stays in the row's title for
// whoever wants it. A label needs only the browser and the system, which a
// few substrings give. A parser with tables for every browser ever made
// kept a 4 MiB trie of small objects in the heap, which every garbage
// collection walks, and each login's 19 MiB hash brings the next
// collection closer: logins paid for the trie (docs/performance.md).

// browsers are tried in order: most browsers also name the ones they grew
// from ("Edg/… Chrome/… Safari/…"), so the more specific come first.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"OPiOS/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"Vivaldi/", "Vivaldi"},
	{"YaBrowser/", "Yandex Browser"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
	{"Safari/", "Safari"},
}

// systems likewise: an iPhone says "like Mac OS X", Android says "Linux".
var systems = []struct{ token, name string }{
	{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"iPod", "iOS"},
	{"Android", "Android"},
	{"CrOS", "ChromeOS"},
	{"Windows", "Windows"},
	{"Macintosh", "macOS"}, {"Mac OS X", "macOS"},
	{"Linux", "Linux"},
}

// deviceName is a User-Agent as a person would say it, or the string
// itself when it names no browser (an API client's "cli/1"), or "Unknown
// device" for none.
func deviceName(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	browser := firstIn(ua, browsers)
	if browser == "" {
		return ua
	}
	if os := firstIn(ua, systems); os != "" {
		return browser + " on " + os
	}
	return browser
}

func firstIn(ua string, list []struct{ token, name string }) string {
	for _, e := range list {
		if strings.Contains(ua, e.token) {
			return e.name
		}
	}
	return ""
}
