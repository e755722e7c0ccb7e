package web

import (
	"sync"

	"github.com/medama-io/go-useragent"
)

// The sessions list names a device as people do ("Chrome on Linux"), from
// the session's User-Agent; the raw string stays in the row's title for
// whoever wants it. The parser (github.com/medama-io/go-useragent) builds
// its tables once, when the site is set up.
var uaParser = sync.OnceValue(useragent.NewParser)

// deviceName is a User-Agent as a person would say it, or the string
// itself when it names no browser (an API client's "cli/1"), or "Unknown
// device" for none.
func deviceName(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	a := uaParser().Parse(ua)
	browser, os := a.Browser().String(), a.OS().String()
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	}
	return ua
}
