// Package browsertest drives the example app in a real, headless Chromium:
// what a user's browser stores and shows, which httptest and a cookie jar
// cannot tell. It is a package of the example's module, so that the
// library's go.mod does not carry chromedp; the README's test command runs
// it. It builds the example and needs Chromium (Debian: apt-get install
// chromium).
package browsertest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// envRequire set to 1 turns a missing Chromium into a test failure, as
// SESSION_REQUIRE_REDIS does for redis-server. CI sets it.
const envRequire = "SESSION_REQUIRE_BROWSER"

// cookieName is the example's session cookie: the library's default.
const cookieName = "session-key"

// userName is the longest name the example accepts, in one unbroken word:
// the name that once made the page scroll sideways.
var userName = strings.Repeat("LongUserName", 5) + "Wrap"

// viewports are the sizes every page is checked and photographed at.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"desktop", 1280, 800, false},
	{"phone", 390, 844, true},
}

// browser finds Chromium, or skips the test (fails it under envRequire).
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "Chromium is not installed (apt-get install chromium): the browser test did not run"
	if os.Getenv(envRequire) == "1" {
		t.Fatal(msg + "; " + envRequire + "=1 requires it")
	}
	t.Skip(msg + "; set " + envRequire + "=1 to fail instead")
	return ""
}

// startExample builds the example as `go run ./example` would and starts it
// on a free loopback port. It returns the address to browse, with the host
// localhost, as the README says.
func startExample(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "example")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".." // the example module's root, in the workspace or not
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "-addr", "localhost:0", "-name", "browser-test")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// The example's log is shown when the test fails. The reader stops at
	// EOF, when the process has exited.
	var log strings.Builder
	found := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		listening := regexp.MustCompile(`\blistening url=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-read
		if err := cmd.Wait(); err != nil {
			t.Errorf("the example did not stop cleanly on Ctrl-C: %v", err)
		}
		if t.Failed() {
			t.Logf("the example's log:\n%s", log.String())
		}
	})
	select {
	case url := <-found:
		return url
	case <-time.After(30 * time.Second):
		t.Fatal("the example did not say where it listens within 30 s")
	}
	return ""
}

// newBrowser starts a headless Chromium for the test.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in a container has no sandbox to drop into
		chromedp.DisableGPU,
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// run runs actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sessionCookie returns the session cookie the browser holds for url, or
// nil.
func sessionCookie(t *testing.T, ctx context.Context, url string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatalf("reading the cookies: %v", err)
	}
	var found *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == cookieName {
			if found != nil {
				t.Errorf("the browser holds two %s cookies", cookieName)
			}
			found = c
		}
	}
	return found
}

// checkStoredCookie checks what the browser stored as the session cookie
// and returns its value.
func checkStoredCookie(t *testing.T, ctx context.Context, url, step string) string {
	t.Helper()
	c := sessionCookie(t, ctx, url)
	if c == nil {
		t.Fatalf("%s: the browser stored no session cookie", step)
	}
	if !c.HTTPOnly {
		t.Errorf("%s: the session cookie is readable by scripts (HttpOnly missing)", step)
	}
	if c.SameSite != network.CookieSameSiteLax {
		t.Errorf("%s: SameSite = %q, want Lax", step, c.SameSite)
	}
	if c.Path != "/" {
		t.Errorf("%s: Path = %q, want /", step, c.Path)
	}
	if c.Secure {
		t.Errorf("%s: Secure is set on a loopback demo, which Safari would drop", step)
	}
	return c.Value
}

// setCookie puts a session cookie with value into the browser, as an
// attacker replaying a stolen one would.
func setCookie(t *testing.T, ctx context.Context, url, value string) {
	t.Helper()
	httpOnly := true
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: cookieName, Value: value, URL: url, Path: "/",
		HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax,
	})
	if err != nil {
		t.Fatalf("planting a cookie: %v", err)
	}
}

// text returns the text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// location returns the page's path.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	path, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	return path
}

// layout is what checkLayout measures of a page.
type layout struct {
	ScrollWidth int64 `json:"scrollWidth"`
	InnerWidth  int64 `json:"innerWidth"`
}

// checkLayout checks the page at each viewport for sideways overflow and
// saves a screenshot of it in dir.
func checkLayout(t *testing.T, ctx context.Context, dir, page string) {
	t.Helper()
	for _, vp := range viewports {
		emulate := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if vp.mobile {
			emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		run(t, ctx, "showing "+page+" at "+vp.name,
			chromedp.EmulateViewport(vp.width, vp.height, emulate...),
			chromedp.Reload(),
			chromedp.WaitReady(chromedp.CSS("body")),
		)
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[layout](
			`({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})`))
		if err != nil {
			t.Fatalf("measuring %s at %s: %v", page, vp.name, err)
		}
		if vp.mobile {
			checkTouchTargets(t, ctx, page)
		}
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("photographing %s at %s: %v", page, vp.name, err)
		}
		if overflow.ScrollWidth > overflow.InnerWidth {
			t.Errorf("%s at %s (%dx%d): the page is %d px wide in a %d px window: it scrolls sideways",
				page, vp.name, vp.width, vp.height, overflow.ScrollWidth, overflow.InnerWidth)
		}
		if vp.mobile && overflow.InnerWidth != vp.width {
			t.Errorf("%s at %s: the layout is %d px wide, not the phone's %d: a word too long to wrap, or no viewport meta tag",
				page, vp.name, overflow.InnerWidth, vp.width)
		}
		name := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d.png", page, vp.name, vp.width, vp.height))
		if err := os.WriteFile(name, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, "restoring the viewport", chromedp.EmulateViewport(1280, 800))
}

// smallTargets lists, as text, the controls of the page that a finger
// cannot hit reliably (under 44 px high) and the inputs whose text is under
// 16 px, which iOS zooms into on focus.
const smallTargets = `[...document.querySelectorAll("button, a.button, nav a, .brand, input[type=text], label.check")]
	.filter(e => e.getBoundingClientRect().height < 44 ||
		(e.matches("input") && parseFloat(getComputedStyle(e).fontSize) < 16))
	.map(e => e.outerHTML.slice(0, 80))`

// checkTouchTargets checks the controls of the page at the phone size.
func checkTouchTargets(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets))
	if err != nil {
		t.Fatalf("measuring the controls of %s: %v", page, err)
	}
	for _, e := range small {
		t.Errorf("%s on a phone: too small to touch or to read without zoom: %s", page, e)
	}
}

func TestBrowserJourney(t *testing.T) {
	path := browser(t)
	base := startExample(t)
	ctx := newBrowser(t, path)
	shots := screenshotDir(t)
	t.Logf("screenshots: %s", shots)

	// The login form.
	run(t, ctx, "opening the login page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("user")))
	if c := sessionCookie(t, ctx, base); c != nil {
		t.Errorf("the login form set a session cookie before any login")
	}
	checkLayout(t, ctx, shots, "login")

	// Log in with the longest name; the private page shows the session.
	run(t, ctx, "logging in",
		chromedp.SendKeys(chromedp.ID("user"), userName),
		chromedp.Submit(chromedp.ID("user")),
		chromedp.WaitVisible(chromedp.ID("masked")),
	)
	if got := location(t, ctx); got != "/private" {
		t.Fatalf("after login the browser is at %s, want /private", got)
	}
	if got := text(t, ctx, "#who"); got != userName {
		t.Errorf("the private page greets %q, want %q", got, userName)
	}
	if got := text(t, ctx, "#instance"); got != "browser-test" {
		t.Errorf("the page names instance %q, want browser-test", got)
	}
	loggedIn := checkStoredCookie(t, ctx, base, "after login")
	masked := text(t, ctx, "#masked")
	checkLayout(t, ctx, shots, "private")

	// Renew: a new ID and masked ID, the same user.
	run(t, ctx, "renewing", chromedp.Click(chromedp.ID("renew")),
		chromedp.WaitNotPresent(chromedp.Search(fmt.Sprintf(`//code[@id="masked"][text()=%q]`, masked))),
		chromedp.WaitVisible(chromedp.ID("masked")))
	renewed := checkStoredCookie(t, ctx, base, "after renewal")
	if renewed == loggedIn {
		t.Error("renewal left the browser with the same session ID")
	}
	if got := text(t, ctx, "#who"); got != userName {
		t.Errorf("after renewal the page greets %q, want %q", got, userName)
	}
	newMasked := text(t, ctx, "#masked")

	// The sessions page lists this session as this device.
	run(t, ctx, "opening the sessions page", chromedp.Navigate(base+"/sessions"), chromedp.WaitVisible(chromedp.ID("sessions")))
	if list := text(t, ctx, "#sessions"); !strings.Contains(list, newMasked) || !strings.Contains(list, "this device") {
		t.Errorf("the sessions page lists %q, want %s marked this device", list, newMasked)
	}
	checkLayout(t, ctx, shots, "sessions")

	// A second device (a browser context of its own: its own cookies) logs
	// in as the same user; this one sees it and logs it out.
	phone, closePhone := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer closePhone()
	run(t, phone, "logging in on a second device", chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), userName),
		chromedp.Submit(chromedp.ID("user")),
		chromedp.WaitVisible(chromedp.ID("masked")))
	phoneMasked := text(t, phone, "#masked")
	run(t, ctx, "listing two devices", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("others")))
	if list := text(t, ctx, "#sessions"); !strings.Contains(list, phoneMasked) || !strings.Contains(list, "Log out this session") {
		t.Errorf("the sessions page lists %q, want %s with a button to log it out", list, phoneMasked)
	}
	checkLayout(t, ctx, shots, "sessions-two-devices")
	run(t, ctx, "logging out everywhere else", chromedp.Click(chromedp.ID("others")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if notice := text(t, ctx, ".notice"); notice != "1 session was logged out." {
		t.Errorf("after logging out everywhere else the page says %q", notice)
	}
	run(t, phone, "reloading on the second device", chromedp.Navigate(base+"/private"), chromedp.WaitReady(chromedp.CSS("body")))
	if got := location(t, phone); got != "/" {
		t.Errorf("the logged-out device is at %s, want the login form", got)
	}
	assertNoPrivateData(t, phone, "the logged-out device", phoneMasked)
	if list := text(t, ctx, "#sessions"); strings.Contains(list, phoneMasked) || !strings.Contains(list, newMasked) {
		t.Errorf("after logging out everywhere else the list is %q, want this device alone", list)
	}

	// The live feed connects and shows this instance's events.
	run(t, ctx, "opening the live feed", chromedp.Navigate(base+"/events"),
		chromedp.WaitVisible(chromedp.CSS("#feed .ev-Created")))
	if state := text(t, ctx, "#feed-state"); !strings.HasPrefix(state, "Connected") {
		t.Errorf("the feed says %q, want Connected", state)
	}
	if feed := text(t, ctx, "#feed"); !strings.Contains(feed, newMasked) {
		t.Errorf("the feed shows %q, want an event of %s", feed, newMasked)
	}
	checkLayout(t, ctx, shots, "events")

	// This instance's counters.
	run(t, ctx, "opening the instance page", chromedp.Navigate(base+"/instance"), chromedp.WaitVisible(chromedp.ID("counters")))
	if counters := text(t, ctx, "#counters"); !strings.Contains(counters, "Sessions renewed") {
		t.Errorf("the instance page shows %q, want the counters", counters)
	}
	checkLayout(t, ctx, shots, "instance")

	// Log out: the cookie goes, and Back shows no private data.
	run(t, ctx, "logging out", chromedp.Navigate(base+"/private"), chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("user")))
	if got := location(t, ctx); got != "/" {
		t.Errorf("after logout the browser is at %s, want /", got)
	}
	if c := sessionCookie(t, ctx, base); c != nil {
		t.Errorf("after logout the browser still holds a session cookie")
	}
	run(t, ctx, "going back", chromedp.NavigateBack(), chromedp.WaitReady(chromedp.CSS("body")))
	assertNoPrivateData(t, ctx, "Back after logout", newMasked)

	// Replaying either old cookie gets the login form, nothing else.
	for name, value := range map[string]string{"the pre-renewal cookie": loggedIn, "the logged-out cookie": renewed} {
		setCookie(t, ctx, base, value)
		run(t, ctx, "replaying "+name, chromedp.Navigate(base+"/private"), chromedp.WaitReady(chromedp.CSS("body")))
		if got := location(t, ctx); got != "/" {
			t.Errorf("replaying %s: the browser is at %s, want the login form", name, got)
		}
		assertNoPrivateData(t, ctx, "replaying "+name, newMasked)
	}

	// An error page is a page of the app too.
	run(t, ctx, "opening a missing page", chromedp.Navigate(base+"/no/such/page"), chromedp.WaitVisible(chromedp.CSS(".code")))
	if got := text(t, ctx, ".code"); got != "404" {
		t.Errorf("a missing page shows %q, want 404", got)
	}
	checkLayout(t, ctx, shots, "not-found")
}

// assertNoPrivateData checks that the page shows neither the user nor the
// session.
func assertNoPrivateData(t *testing.T, ctx context.Context, step, masked string) {
	t.Helper()
	body := text(t, ctx, "body")
	if strings.Contains(body, userName) || strings.Contains(body, masked) {
		t.Errorf("%s: the page still shows private data:\n%s", step, body)
	}
}
