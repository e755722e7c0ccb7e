package hashworker

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/latchkey/latchkey/internal/password"
)

// TestMain makes this test binary a worker when Start runs it as one.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Command {
		if err := Serve(os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func start(t *testing.T, n int) *Workers {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := Start(exe, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

func request(argon2i bool) password.KeyRequest {
	return password.KeyRequest{Argon2i: argon2i, Password: []byte("correct horse"), Salt: []byte("0123456789abcdef"),
		Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32}
}

func TestWorkersComputeWhatThisProcessDoes(t *testing.T) {
	ws := start(t, 2)
	for _, argon2i := range []bool{false, true} {
		got, err := ws.Derive(request(argon2i))
		if err != nil {
			t.Fatal(err)
		}
		if want := password.Derive(request(argon2i)); !bytes.Equal(got, want) {
			t.Errorf("argon2i=%v: worker key %x, want %x", argon2i, got, want)
		}
	}
}

// TestHasherWithWorkers: hashes made in workers verify here and the other
// way round, and a wrong password stays wrong.
func TestHasherWithWorkers(t *testing.T) {
	ws := start(t, 1)
	p := password.Params{MemoryKiB: 64, Time: 1, Threads: 1}
	h := password.NewHasherWith(p, password.NewPool(1, 0), ws.Derive)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := password.Verify("correct horse battery", encoded); !ok || err != nil {
		t.Fatalf("a worker's hash does not verify in process: %v %v", ok, err)
	}
	local, _ := password.Hash("correct horse battery", p)
	if ok, _, err := h.Verify(ctx, "correct horse battery", local); !ok || err != nil {
		t.Fatalf("a hash made here does not verify in a worker: %v %v", ok, err)
	}
	if ok, _, err := h.Verify(ctx, "correct horse batterx", encoded); ok || err != nil {
		t.Fatalf("wrong password: ok=%v err=%v", ok, err)
	}
	if err := h.VerifyDummy(ctx, "whatever"); err != nil {
		t.Fatal(err)
	}
}

// TestWorkerRefusesBeyondLimits: a request no server would send is refused
// by the worker without costing it the memory, and the worker lives on.
func TestWorkerRefusesBeyondLimits(t *testing.T) {
	ws := start(t, 1)
	huge := request(false)
	huge.MemoryKiB = password.MaxMemoryKiB + 1
	if _, err := ws.Derive(huge); err == nil {
		t.Fatal("a request beyond the memory limit was computed")
	}
	if _, err := ws.Derive(request(false)); err != nil {
		t.Fatalf("the worker did not survive a refused request: %v", err)
	}
}

// TestDeadWorkerIsReplaced: when a worker dies, the request that meets the
// failure gets an error and the next one a new worker.
func TestDeadWorkerIsReplaced(t *testing.T) {
	ws := start(t, 1)
	w := <-ws.idle
	w.cmd.Process.Kill()
	w.cmd.Process.Wait()
	ws.idle <- w
	if _, err := ws.Derive(request(false)); err == nil {
		t.Fatal("a dead worker answered")
	}
	got, err := ws.Derive(request(false))
	if err != nil {
		t.Fatalf("no new worker after a death: %v", err)
	}
	if !bytes.Equal(got, password.Derive(request(false))) {
		t.Fatal("the new worker computes another key")
	}
}
