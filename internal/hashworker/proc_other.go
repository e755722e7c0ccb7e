//go:build !linux

package hashworker

import "os/exec"

// lowerPriority does nothing here: the workers run at the server's
// priority, which is correct but lets a login flood slow other requests
// more than on Linux.
func lowerPriority() {}

// dieWithParent does nothing here: a worker still exits when the server's
// end of its input closes, as it does when the server exits.
func dieWithParent(*exec.Cmd) {}
