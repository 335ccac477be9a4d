// Package testwait bounds the waits of tests. A receive, a WaitGroup or a
// condition that never comes fails the test, saying what it waited for,
// instead of hanging until the test binary's -timeout kills every test with
// a goroutine dump.
//
// A timeout here only decides how long a broken test takes to fail; it never
// decides whether a working one passes, so pick it generously (the machines
// that run the suite are shared and slow under the race detector).
package testwait

import (
	"sync"
	"testing"
	"time"
)

// Timeout is a generous bound for something that should happen promptly.
const Timeout = 30 * time.Second

// Recv returns the next value received from ch (the zero value once ch is
// closed, as a plain receive does), and fails the test when nothing arrives
// within timeout.
func Recv[T any](t testing.TB, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
	}
	t.Fatalf("testwait: timed out after %v waiting for %s", timeout, what)
	var zero T
	return zero
}

// Closed waits until ch is closed, discarding what it still delivers, and
// fails the test when that takes longer than timeout.
func Closed[T any](t testing.TB, ch <-chan T, timeout time.Duration, what string) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timer.C:
			t.Fatalf("testwait: timed out after %v waiting for %s", timeout, what)
		}
	}
}

// Wait waits for wg, and fails the test when it takes longer than timeout.
// The goroutines of wg are still running then; the test binary ends them.
func Wait(t testing.TB, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	Closed(t, done, timeout, what)
}

// Until polls cond every 20 ms until it returns true, and fails the test
// with what when timeout passes first.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("testwait: timed out after %v waiting for %s", timeout, what)
	}
}

// Poll polls cond every 20 ms until it returns true (true) or timeout passes
// (false). Use it to assert that something does not happen within timeout.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
