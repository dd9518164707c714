package store_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/session/store"
	"github.com/sessionkit/session/store/storetest"
)

func init() { gob.Register(storetest.Profile{}) }

var fileBase = time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)

func fileTestID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openMemory opens the store at path and closes it with the test, unless
// the test closed it first.
func openMemory(t *testing.T, path string, opts ...store.MemoryOption) store.Store {
	t.Helper()
	s, err := store.OpenMemory(path, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openMemory(t, filepath.Join(t.TempDir(), "sessions"))
	})
}

// A store reopened on its file has every session it had, with the same
// times, deadlines and values (each of its Go type), and none that ended.
// The file is private to its owner, and is removed once loaded.
func TestOpenMemoryKeepsSessionsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	s := openMemory(t, path)

	values := map[string]any{
		"string": "ünïcode ✓", "int": 42, "int64": int64(1<<53 + 1), "float64": 3.25, "bool": true,
		"bytes": []byte("raw"), "strings": []string{"a", "b"}, "time": fileBase.Add(time.Hour),
		"map": map[string]any{"name": "ada", "admin": true}, "struct": storetest.Profile{Name: "ada", Visits: 3},
		"empty string": "", "zero int": 0, "zero int64": int64(0), "zero float64": 0.0, "false": false, "negative int": -7,
	}
	kept := map[string]store.Record{}
	add := func(rec store.Record) string {
		id := fileTestID(t)
		require.NoError(t, s.Create(ctx, id, rec))
		return id
	}
	full := store.Record{Values: values, Created: fileBase, Accessed: fileBase, Idle: 30 * time.Minute, Expires: fileBase.Add(24 * time.Hour), User: "ada"}
	kept[add(full)] = full
	noLimits := store.Record{Values: map[string]any{}, Created: fileBase, Accessed: fileBase}
	kept[add(noLimits)] = noLimits

	touched := add(full)
	_, _, err := s.Load(ctx, touched, fileBase.Add(10*time.Minute), true)
	require.NoError(t, err)
	require.NoError(t, s.Update(ctx, touched, map[string]any{"int": 43, "string": nil}))
	require.NoError(t, s.SetExpires(ctx, touched, fileBase.Add(48*time.Hour))) // "remember me"
	require.NoError(t, s.SetUser(ctx, touched, "bob"))
	want := full
	want.Accessed = fileBase.Add(10 * time.Minute)
	want.Expires = fileBase.Add(48 * time.Hour)
	want.User = "bob"
	want.Values = map[string]any{}
	for k, v := range values {
		want.Values[k] = v
	}
	want.Values["int"] = 43
	delete(want.Values, "string")
	kept[touched] = want

	renewedFrom, renewedTo := add(full), fileTestID(t)
	require.NoError(t, s.Renew(ctx, renewedFrom, renewedTo, fileBase.Add(5*time.Minute)))
	want = full
	want.Accessed = fileBase.Add(5 * time.Minute)
	kept[renewedTo] = want

	deleted := add(full)
	_, ok, err := s.Delete(ctx, deleted)
	require.NoError(t, err)
	require.True(t, ok)

	require.NoError(t, s.Close())
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file holds session IDs")

	s = openMemory(t, path)
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "a loaded file must go, or a crash would bring its sessions back")
	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(kept), n)
	for id, want := range kept {
		got, found, err := s.Load(ctx, id, fileBase, false)
		require.NoError(t, err)
		require.True(t, found, "session %s", store.MaskedID(id))
		assert.True(t, want.Created.Equal(got.Created), "Created: want %v, got %v", want.Created, got.Created)
		assert.True(t, want.Accessed.Equal(got.Accessed), "Accessed: want %v, got %v", want.Accessed, got.Accessed)
		assert.Equal(t, want.Idle, got.Idle)
		assert.True(t, want.Expires.Equal(got.Expires), "Expires: want %v, got %v", want.Expires, got.Expires)
		assert.Equal(t, want.User, got.User)
		require.Len(t, got.Values, len(want.Values))
		for k, v := range want.Values {
			if tv, ok := v.(time.Time); ok {
				assert.True(t, tv.Equal(got.Values[k].(time.Time)), "value %q", k)
				continue
			}
			assert.Equal(t, v, got.Values[k], "value %q", k) // same value, same Go type
		}
	}
	// The per-user index is rebuilt: each user's sessions are listed again.
	for user, n := range map[string]int{"ada": 2, "bob": 1} {
		listed, err := s.UserSessions(ctx, user, fileBase)
		require.NoError(t, err)
		assert.Len(t, listed, n, "sessions of %s", user)
	}
	for _, gone := range []string{deleted, renewedFrom} {
		_, found, err := s.Load(ctx, gone, fileBase, false)
		require.NoError(t, err)
		assert.False(t, found)
	}
}

// A session that expired while the program was down is loaded as expired,
// so that the first sweep deletes it and hands it over, for its Destroyed
// event; until then no Load returns it as live.
func TestOpenMemoryHandsExpiredSessionsToTheSweep(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	s := openMemory(t, path)
	expiring, lasting := fileTestID(t), fileTestID(t)
	require.NoError(t, s.Create(ctx, expiring, store.Record{Created: fileBase, Accessed: fileBase, Idle: time.Minute}))
	require.NoError(t, s.Create(ctx, lasting, store.Record{Created: fileBase, Accessed: fileBase, Idle: time.Hour}))
	require.NoError(t, s.Close())

	s = openMemory(t, path)
	later := fileBase.Add(2 * time.Minute) // the restart took two minutes
	rec, found, err := s.Load(ctx, expiring, later, true)
	require.NoError(t, err)
	require.True(t, found)
	assert.True(t, rec.ExpiredAt(later))
	swept, err := s.Sweep(ctx, later, 10)
	require.NoError(t, err)
	require.Len(t, swept, 1)
	assert.Equal(t, expiring, swept[0].ID)
	n, err := s.Count(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// savedFile returns the bytes of a file that holds three sessions.
func savedFile(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sessions")
	s := openMemory(t, path)
	for range 3 {
		rec := store.Record{Values: map[string]any{"user": "ada"}, Created: fileBase, Accessed: fileBase, Idle: time.Hour}
		require.NoError(t, s.Create(context.Background(), fileTestID(t), rec))
	}
	require.NoError(t, s.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// A file that is not whole, not ours or not for this version is refused
// with an error that says which, nothing is loaded, and the file stays for
// the operator to look at.
func TestOpenMemoryRefusesBadFiles(t *testing.T) {
	good := savedFile(t)
	const magicLen, versionAt = 24, 24
	with := func(change func(b []byte) []byte) []byte { return change(append([]byte(nil), good...)) }
	tests := []struct {
		name    string
		data    []byte
		opts    []store.MemoryOption
		problem string
	}{
		{name: "empty", data: []byte{}, problem: "not a sessionkit session file"},
		{name: "foreign", data: []byte(`{"sessions": []}`), problem: "not a sessionkit session file"},
		{name: "cut in the magic", data: good[:magicLen/2], problem: "truncated"},
		{name: "cut in the header", data: good[:magicLen+6], problem: "truncated"},
		{name: "cut in the sessions", data: good[:len(good)/2], problem: "truncated"},
		{name: "cut in the checksum", data: good[:len(good)-5], problem: "truncated"},
		{name: "bytes after the end", data: with(func(b []byte) []byte { return append(b, 0) }), problem: "corrupt"},
		{name: "a flipped bit", data: with(func(b []byte) []byte { b[len(b)/2] ^= 1; return b }), problem: "checksum mismatch"},
		{name: "a newer version", data: with(func(b []byte) []byte { b[versionAt+3]++; return b }), problem: "newer version"},
		{name: "more sessions than the cap", data: good, opts: []store.MemoryOption{store.WithMaxSessions(2)}, problem: "more than the store's cap of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sessions")
			require.NoError(t, os.WriteFile(path, tt.data, 0o600))
			s, err := store.OpenMemory(path, tt.opts...)
			require.ErrorIs(t, err, store.ErrBadSessionFile)
			assert.Contains(t, err.Error(), tt.problem)
			assert.Contains(t, err.Error(), path, "the error names the file")
			assert.Nil(t, s, "no store starts with some of the sessions")
			left, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tt.data, left, "a refused file is left as it was")
		})
	}
}

// A save that died before its rename leaves a temporary file beside the
// previous one: the previous file loads whole, and the leftover, which
// holds session IDs, is removed.
func TestOpenMemoryAfterACrashWhileSaving(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions")
	good := savedFile(t)
	require.NoError(t, os.WriteFile(path, good, 0o600))
	leftover := filepath.Join(dir, ".sessions.tmp-12345")
	require.NoError(t, os.WriteFile(leftover, good[:len(good)/3], 0o600))

	s := openMemory(t, path)
	n, err := s.Count(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	_, err = os.Stat(leftover)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// Opening a store removes the leftovers of saves to its own path, whatever
// characters its name holds (glob's among them), and nothing else: not the
// temporary file of another store's path in the same directory.
func TestOpenMemoryRemovesOnlyItsOwnLeftovers(t *testing.T) {
	for _, name := range []string{"sessions", "sessions[1]", "sess*ions", `sessions\x`} {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(name, `\`) && runtime.GOOS == "windows" {
				t.Skip("a separator on Windows")
			}
			dir := t.TempDir()
			own := filepath.Join(dir, "."+name+".tmp-12345")
			require.NoError(t, os.WriteFile(own, []byte("partial"), 0o600))
			// Saves to the path name+".tmp-7" name their files so: they
			// belong to another store.
			other := filepath.Join(dir, "."+name+".tmp-7.tmp-999")
			require.NoError(t, os.WriteFile(other, []byte("another store's"), 0o600))

			openMemory(t, filepath.Join(dir, name))
			_, err := os.Stat(own)
			assert.ErrorIs(t, err, os.ErrNotExist, "a leftover holds session IDs: it goes")
			_, err = os.Stat(other)
			assert.NoError(t, err, "another path's file stays")
		})
	}
}

// A path that is a symbolic link (or anything but a regular file) is
// refused and left as it was: loading through the link would remove the
// link and leave its target, whose sessions (logouts undone) the next start
// through a link made again would load; the save would write a file where
// the link was, not where it pointed.
func TestOpenMemoryRefusesALinkedPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	good := savedFile(t)
	require.NoError(t, os.WriteFile(target, good, 0o600))
	for name, to := range map[string]string{"to a session file": target, "dangling": filepath.Join(dir, "none")} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sessions")
			require.NoError(t, os.Symlink(to, path))
			s, err := store.OpenMemory(path)
			require.ErrorIs(t, err, store.ErrBadSessionFile)
			assert.Contains(t, err.Error(), "not a regular file")
			assert.Nil(t, s)
			got, err := os.Readlink(path)
			require.NoError(t, err, "the link stays")
			assert.Equal(t, to, got)
		})
	}
	left, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, good, left, "the target stays as it was")
}

// A value that cannot be saved is refused at Set time (CheckValue); one
// that became unsavable afterwards (changed in place, or stored without the
// manager) costs only its own session: Close saves the others and says
// which it skipped.
func TestOpenMemoryValueThatCannotBeSaved(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	s := openMemory(t, path)
	checker, ok := s.(store.ValueChecker)
	require.True(t, ok, "a store that saves its values must refuse at Set what it cannot save")
	assert.Error(t, checker.CheckValue("ch", make(chan int)))
	cycle := map[string]any{}
	cycle["self"] = cycle // gob would recurse until the stack overflows
	assert.Error(t, checker.CheckValue("cycle", cycle))
	deep := any("leaf")
	for range 40 {
		deep = []any{deep}
	}
	assert.Error(t, checker.CheckValue("deep", deep), "deeper than the Redis store's gob codec allows")
	assert.NoError(t, checker.CheckValue("profile", storetest.Profile{Name: "ada"}))

	bad, good := fileTestID(t), fileTestID(t)
	rec := store.Record{Values: map[string]any{"user": "ada"}, Created: fileBase, Accessed: fileBase, Idle: time.Hour}
	require.NoError(t, s.Create(ctx, bad, rec))
	require.NoError(t, s.Create(ctx, good, rec))
	require.NoError(t, s.Update(ctx, bad, map[string]any{"ch": make(chan int)}))

	err := s.Close()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 skipped")
	assert.Contains(t, err.Error(), store.MaskedID(bad))
	assert.Contains(t, err.Error(), `"ch"`)

	s = openMemory(t, path)
	_, found, err := s.Load(ctx, good, fileBase, false)
	require.NoError(t, err)
	assert.True(t, found)
	_, found, err = s.Load(ctx, bad, fileBase, false)
	require.NoError(t, err)
	assert.False(t, found)
}

// A write that the store accepted is in the file, however it raced with
// Close: Close waits for the calls in progress, and refuses later ones.
func TestOpenMemoryCloseKeepsEveryAcceptedWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions")
	s := openMemory(t, path)
	id := fileTestID(t)
	require.NoError(t, s.Create(ctx, id, store.Record{Created: fileBase, Accessed: fileBase, Idle: time.Hour}))

	const writers = 4
	accepted := make([][]string, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := string(rune('a'+w)) + "-" + time.Duration(i).String()
				err := s.Update(ctx, id, map[string]any{key: i})
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if !assert.NoError(t, err) {
					return
				}
				accepted[w] = append(accepted[w], key)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let the writers get going; any amount will do
	require.NoError(t, s.Close())
	wg.Wait()

	s = openMemory(t, path)
	rec, found, err := s.Load(ctx, id, fileBase, false)
	require.NoError(t, err)
	require.True(t, found)
	total := 0
	for _, keys := range accepted {
		for _, k := range keys {
			assert.Contains(t, rec.Values, k)
		}
		total += len(keys)
	}
	assert.Equal(t, total, len(rec.Values))
}

// A directory the save could not write to is found at the start, not at
// shutdown, when every session would be lost.
func TestOpenMemoryRefusesADirectoryItCannotWrite(t *testing.T) {
	_, err := store.OpenMemory(filepath.Join(t.TempDir(), "missing", "sessions"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "directory")
}

// FuzzOpenMemory feeds OpenMemory any bytes as its file: it loads them or
// refuses them with ErrBadSessionFile, and never panics.
func FuzzOpenMemory(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("sessionkit memory store\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "sessions")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		s, err := store.OpenMemory(path)
		if err != nil {
			require.ErrorIs(t, err, store.ErrBadSessionFile)
			return
		}
		require.NoError(t, s.Close())
	})
}
