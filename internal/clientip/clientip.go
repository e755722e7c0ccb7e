// Package clientip determines the address a request really came from. It
// matters for per-IP throttling: believing any X-Forwarded-For would let a
// client pick a fresh address for every attempt.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address, believing X-Forwarded-For only
// when the connection comes from a trusted proxy.
type Resolver struct {
	Trusted []netip.Prefix
}

// IP returns the client address of r as text, or "" if it cannot be told.
//
// Without trusted proxies it is the connection's address. With them, the
// X-Forwarded-For chain is read from the right (the end nearest to us),
// skipping trusted proxies; the first untrusted hop is the client. Entries
// further left were written by the client itself and are never believed.
func (res Resolver) IP(r *http.Request) string {
	peer, ok := parse(r.RemoteAddr)
	if !ok {
		return ""
	}
	if !res.trusted(peer) {
		return peer.String()
	}
	hops := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, ok := parse(strings.TrimSpace(parts[j]))
			if !ok {
				return client.String()
			}
			client = a
			if !res.trusted(a) {
				return a.String()
			}
		}
	}
	return client.String()
}

func (res Resolver) trusted(a netip.Addr) bool {
	for _, p := range res.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parse accepts "ip", "ip:port" and "[ipv6]:port" and unmaps IPv4-in-IPv6.
func parse(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
