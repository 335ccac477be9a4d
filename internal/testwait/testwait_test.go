package testwait

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as the real one does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fails runs fn on its own goroutine with a recorder and returns what it
// failed with ("" when it did not fail).
func fails(fn func(tb testing.TB)) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done // fn is bounded by its own short timeout
	return r.msg
}

func TestRecv(t *testing.T) {
	ch := make(chan error, 1)
	ch <- fmt.Errorf("boom")
	if err := Recv(t, ch, time.Second, "an error"); err == nil || err.Error() != "boom" {
		t.Fatalf("Recv = %v", err)
	}
	msg := fails(func(tb testing.TB) { Recv(tb, ch, 10*time.Millisecond, "the second error") })
	if !strings.Contains(msg, "the second error") {
		t.Fatalf("Recv on an empty channel failed with %q", msg)
	}
}

func TestWaitAndClosed(t *testing.T) {
	var wg sync.WaitGroup
	wg.Go(func() {})
	Wait(t, &wg, time.Second, "a finished group")
	stuck := make(chan struct{})
	defer close(stuck)
	wg.Go(func() { <-stuck })
	if msg := fails(func(tb testing.TB) { Wait(tb, &wg, 10*time.Millisecond, "a stuck group") }); !strings.Contains(msg, "a stuck group") {
		t.Fatalf("Wait on a stuck group failed with %q", msg)
	}
	ch := make(chan int, 2)
	ch <- 1
	close(ch)
	Closed(t, ch, time.Second, "a closed channel")
}

func TestUntil(t *testing.T) {
	n := 0
	Until(t, time.Second, "the third call", func() bool { n++; return n == 3 })
	if msg := fails(func(tb testing.TB) { Until(tb, 30*time.Millisecond, "never", func() bool { return false }) }); !strings.Contains(msg, "never") {
		t.Fatalf("Until failed with %q", msg)
	}
	if Poll(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll of a false condition returned true")
	}
}
