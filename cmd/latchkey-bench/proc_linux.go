package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel stop a server or baseline this program
// started when the program dies, so an interrupted run leaves none behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
