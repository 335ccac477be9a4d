package browsertest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ClickText clicks, with a real mouse click, the first visible button, label
// or link whose text contains text — inside the shadow root of the element
// matching host (the tracker's consent UI lives in one), or in the document
// when host is "". It waits up to 10 s for the control to appear.
func ClickText(t testing.TB, ctx context.Context, host, text string) {
	t.Helper()
	root := "document"
	if host != "" {
		root = "document.querySelector(" + strconv.Quote(host) + ")?.shadowRoot"
	}
	var xy []float64
	WaitFor(t, 10*time.Second, "the "+strconv.Quote(text)+" control", func() bool {
		xy = Eval[[]float64](t, ctx, `(() => {
			const r = `+root+`; if (!r) return [];
			const b = [...r.querySelectorAll('button, label, a')].find(b => b.textContent.includes(`+strconv.Quote(text)+`) && b.getClientRects().length);
			if (!b) return [];
			b.scrollIntoView({block: 'center'});
			const q = b.getBoundingClientRect(); return [q.x + Math.min(12, q.width / 2), q.y + q.height / 2] })()`)
		return len(xy) == 2
	})
	Do(t, ctx, chromedp.MouseClickXY(xy[0], xy[1]))
}
