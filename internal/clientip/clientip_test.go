package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: connection address", nil, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"no proxies: forged header ignored", nil, "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"untrusted peer: header ignored", proxies, "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"trusted peer: client from header", proxies, "10.1.2.3:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"client-written prefix not believed", proxies, "10.1.2.3:80", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", proxies, "10.1.2.3:80", []string{"198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"several header lines", proxies, "10.1.2.3:80", []string{"6.6.6.6", "198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"garbage stops the walk", proxies, "10.1.2.3:80", []string{"198.51.100.9, nonsense"}, "10.1.2.3"},
		{"only proxies", proxies, "10.1.2.3:80", []string{"10.4.4.4"}, "10.4.4.4"},
		{"ipv6 peer", proxies, "[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"mapped ipv4", nil, "[::ffff:203.0.113.7]:1", nil, "203.0.113.7"},
		{"unparsable remote", nil, "pipe", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := (Resolver{Trusted: tt.trusted}).IP(r); got != tt.want {
				t.Errorf("IP = %q, want %q", got, tt.want)
			}
		})
	}
}
