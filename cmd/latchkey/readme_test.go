package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestReadmeExamples runs the README's shell example ("Use it from an
// app") as it is printed, with bash, curl and jq, against the real server:
// a newcomer who copies it gets what it says.
func TestReadmeExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's examples need %s", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Use it from an app")
	if !ok {
		t.Fatal("the README has no \"Use it from an app\" section")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	script, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no sh block in \"Use it from an app\"")
	}
	url, _ := startServer(t, testEnv(t))
	script = strings.ReplaceAll(script, "localhost:8080", strings.TrimPrefix(url, "http://"))
	// As a newcomer's shell would, but stopping at the first failure, and
	// with the last command's answer for the test to look at.
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script+"\necho; echo \"me: $(curl -s "+url+"/api/users/me -H \"Authorization: Bearer $ACCESS_TOKEN\")\"")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"username":"alice"`, `"token_type":"bearer"`, `"email_verified":false`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// After the revocation the session is gone: the access token's /me is
	// refused (the last line).
	if last := string(out)[strings.LastIndex(string(out), "me: "):]; !strings.Contains(last, "invalid_token") {
		t.Errorf("after the example's logout, /me answered %s", last)
	}
}
