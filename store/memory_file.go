package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrBadSessionFile is returned by [OpenMemory] for a file it will not load:
// not a regular file (a symbolic link, say), not a session file,
// truncated, corrupt, written by a newer version, holding more sessions
// than the store's cap, or a value of a type this program has not
// registered. The error names the file and the problem; the
// file is left as it was, for the operator to fix or remove.
var ErrBadSessionFile = errors.New("store: session file cannot be loaded")

// OpenMemory returns an in-process store, as [NewMemory] does, that keeps
// its sessions across a restart in the file at path: it loads the file when
// there is one, and its Close saves every session to it, with its values,
// its user, its creation and access times and its idle and absolute
// deadlines, so that a restart extends no lifetime. Close must run for
// the sessions to be kept: close the store after the manager that uses it
// (the manager never closes a store it was given), once the server has
// stopped serving requests. No file at path means a first start, with no
// sessions.
//
// A file that cannot be loaded (not a regular file: a symbolic link, say;
// not a session file, truncated, corrupt, written by a newer version,
// holding more sessions than WithMaxSessions allows, or a value whose type
// this program does not know) makes
// OpenMemory return an error wrapping [ErrBadSessionFile] and no store:
// it never starts with some of the sessions. Sessions that expired while
// the program was down are loaded as expired: no lookup finds them, and the
// first sweep deletes them, so that the manager reports each as Destroyed.
//
// The file holds the session IDs themselves, as the memory does: whoever
// reads it can use every session in it. It is written with mode 0600 (read
// and write for its owner only) into the directory of path, which should be
// no more open than that. It is written atomically: to a temporary file in
// the same directory, synced, then renamed over path, so that a crash while
// saving leaves the previous file whole. Once loaded, the file is removed:
// after a crash (no Close), the next start has no sessions rather than
// those of the last clean shutdown, which would bring back every session
// that ended since, logouts included.
//
// Values are saved with encoding/gob under the rules of the Redis store's
// gob codec: a type kept behind an interface must be registered with
// gob.Register before it is set and before OpenMemory loads it, and a value
// that contains itself or nests deeper than 32 levels is refused. The store
// implements [ValueChecker], so the manager refuses such a value at Set
// time. A value changed in place after Set so that it cannot be encoded any
// more (a pointer or map shared with the program) makes Close skip that
// session, save the others and return an error naming it. Former IDs of
// renewed sessions are not saved: after the restart they are unknown IDs
// rather than renewed ones.
//
// One process at a time may use a path.
func OpenMemory(path string, opts ...MemoryOption) (Store, error) {
	m := newMemory(opts)
	removeLeftovers(path)
	// A directory Close could not write to would lose every session at
	// shutdown: find out now, while the operator is watching the start.
	if err := probeDir(path); err != nil {
		return nil, fmt.Errorf("store: the directory of the session file cannot take it: %w", err)
	}
	// Only a regular file is loaded: through a symbolic link, the removal
	// below would take the link and leave its target, with its sessions,
	// for the next start through a link made again (every logout since
	// undone), and the save would write where the link was; a FIFO or a
	// device would hang the start or fill the memory.
	if info, err := os.Lstat(path); err == nil && !info.Mode().IsRegular() {
		return nil, badFile(path, "not a regular file (%v); give the path of the file itself", info.Mode().Type())
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("store: reading session file: %w", err)
	default:
		if err := m.loadFile(path, data); err != nil {
			return nil, err
		}
		// Loaded: see the doc above for why the file goes now.
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("store: removing the loaded session file: %w", err)
		}
		if err := syncDir(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("store: removing the loaded session file: %w", err)
		}
	}
	m.file = &memoryFile{path: path}
	return savingMemory{m}, nil
}

// savingMemory is the store OpenMemory returns: the memory store, which
// saves to its file on Close, and a ValueChecker, which NewMemory's store is
// not, so that the manager checks values only for a store that encodes them.
type savingMemory struct{ *memory }

var _ ValueChecker = savingMemory{}

// The session file: a header, one gob message per session, and a trailer.
//
//	magic (24 bytes) | version (uint32) | file size (uint64)
//	sessions: a gob stream of savedSession
//	session count (uint64) | SHA-256 of the sessions and the count
//
// Integers are big-endian. The size finds a truncated file, the checksum a
// corrupt one.
const (
	fileMagic   = "sessionkit memory store\n"
	fileVersion = 1
	headerSize  = len(fileMagic) + 4 + 8
	trailerSize = 8 + sha256.Size
)

// savedSession is one session in the file.
type savedSession struct {
	ID       string
	Created  time.Time
	Accessed time.Time
	Idle     time.Duration
	Expires  time.Time
	User     string
	Values   map[string]savedValue
}

// savedValue is one value in the file. The common scalar types have a
// field of their own, which the file's one gob stream decodes in
// microseconds; everything else is in Bytes, encoded by fileCodec, whose
// own gob stream per value costs tens of microseconds to decode: a file of
// a million sessions holding only strings and numbers loads several times
// faster so.
type savedValue struct {
	Kind  byte // one of the value kinds below
	Str   string
	Int   int64
	Float float64
	Bytes []byte // a []byte value, or fileCodec's bytes
	Strs  []string
}

// Kinds of saved values.
const (
	kindString  = 's'
	kindTrue    = 't'
	kindFalse   = 'f'
	kindInt     = 'i'
	kindInt64   = 'I'
	kindFloat   = 'd'
	kindBytes   = 'b'
	kindStrings = 'S'
	kindCodec   = 'c'
)

func newSavedValue(v any) (savedValue, error) {
	switch v := v.(type) {
	case string:
		return savedValue{Kind: kindString, Str: v}, nil
	case bool:
		if v {
			return savedValue{Kind: kindTrue}, nil
		}
		return savedValue{Kind: kindFalse}, nil
	case int:
		return savedValue{Kind: kindInt, Int: int64(v)}, nil
	case int64:
		return savedValue{Kind: kindInt64, Int: v}, nil
	case float64:
		return savedValue{Kind: kindFloat, Float: v}, nil
	case []byte:
		return savedValue{Kind: kindBytes, Bytes: v}, nil
	case []string:
		return savedValue{Kind: kindStrings, Strs: v}, nil
	}
	b, err := fileCodec.Encode(v)
	return savedValue{Kind: kindCodec, Bytes: b}, err
}

// value returns the value sv holds, of the type it was saved with.
func (sv savedValue) value() (any, error) {
	switch sv.Kind {
	case kindString:
		return sv.Str, nil
	case kindTrue, kindFalse:
		return sv.Kind == kindTrue, nil
	case kindInt:
		if int64(int(sv.Int)) != sv.Int {
			return nil, errors.New("integer overflows int")
		}
		return int(sv.Int), nil
	case kindInt64:
		return sv.Int, nil
	case kindFloat:
		return sv.Float, nil
	case kindBytes:
		if sv.Bytes == nil {
			return []byte{}, nil // gob sends an empty slice as none
		}
		return sv.Bytes, nil
	case kindStrings:
		if sv.Strs == nil {
			return []string{}, nil // as for bytes
		}
		return sv.Strs, nil
	case kindCodec:
		return fileCodec.Decode(sv.Bytes)
	}
	return nil, fmt.Errorf("unknown value kind %d", sv.Kind)
}

// fileCodec encodes the values in the file: the gob codec the Redis and
// PostgreSQL stores use, with its checks of a value's shape, so that the
// file keeps what they keep and refuses what they refuse.
var fileCodec = Gob()

func init() {
	// The Redis store keeps a time.Time in a compact form of its own, so it
	// accepts one; here it goes through gob, which must know the type to
	// send it behind an interface.
	gob.Register(time.Time{})
}

// memoryFile is where a store from OpenMemory saves its sessions.
type memoryFile struct {
	path string
	once sync.Once
	err  error
}

// close closes m and saves its sessions, once.
func (f *memoryFile) close(m *memory) error {
	f.once.Do(func() {
		m.closed.Store(true)
		m.inflight.Lock() // wait for the calls that were admitted
		defer m.inflight.Unlock()
		f.err = f.save(m)
	})
	return f.err
}

// badFile returns the error of a file OpenMemory refuses.
func badFile(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadSessionFile, path, fmt.Sprintf(format, args...))
}

// loadFile creates the sessions of the file's bytes in m, or returns an
// error and leaves m to be dropped.
func (m *memory) loadFile(path string, data []byte) error {
	if n := min(len(data), len(fileMagic)); string(data[:n]) != fileMagic[:n] || n == 0 {
		return badFile(path, "not a sessionkit session file")
	}
	if len(data) < headerSize {
		return badFile(path, "truncated: %d bytes, shorter than the header", len(data))
	}
	version := binary.BigEndian.Uint32(data[len(fileMagic):])
	if version > fileVersion {
		return badFile(path, "written by a newer version of sessionkit (file format %d; this one reads %d)", version, fileVersion)
	}
	if version != fileVersion {
		return badFile(path, "corrupt: unknown file format %d", version)
	}
	size := binary.BigEndian.Uint64(data[len(fileMagic)+4:])
	switch {
	case size < uint64(headerSize+trailerSize):
		return badFile(path, "corrupt: the header gives an impossible size, %d bytes", size)
	case uint64(len(data)) < size:
		return badFile(path, "truncated: %d of %d bytes", len(data), size)
	case uint64(len(data)) > size:
		return badFile(path, "corrupt: %d bytes after its end", uint64(len(data))-size)
	}
	body, trailer := data[headerSize:len(data)-trailerSize], data[len(data)-trailerSize:]
	sum := sha256.New()
	sum.Write(body)
	sum.Write(trailer[:8])
	if !bytes.Equal(sum.Sum(nil), trailer[8:]) {
		return badFile(path, "corrupt: checksum mismatch")
	}
	count := binary.BigEndian.Uint64(trailer)
	// Forged bytes can match a checksum: gob must not allocate what a
	// message claims beyond the bytes there are.
	if err := checkGobFraming(body); err != nil {
		return badFile(path, "corrupt: %v", err)
	}
	r := bytes.NewReader(body)
	dec := gob.NewDecoder(r)
	for i := uint64(0); i < count; i++ {
		var saved savedSession
		if err := decodeSaved(dec, &saved); err != nil {
			return badFile(path, "corrupt: session %d of %d: %v", i+1, count, err)
		}
		rec, err := saved.record()
		if err != nil {
			return badFile(path, "session %s: %v", MaskedID(saved.ID), err)
		}
		switch err := m.Create(context.Background(), saved.ID, rec); {
		case errors.Is(err, ErrTooManySessions):
			return badFile(path, "it holds %d sessions, more than the store's cap of %d (WithMaxSessions)", count, m.limit)
		case errors.Is(err, ErrExists):
			return badFile(path, "corrupt: session %s appears twice", MaskedID(saved.ID))
		case err != nil:
			return fmt.Errorf("store: loading session file %s: %w", path, err)
		}
	}
	if r.Len() != 0 {
		return badFile(path, "corrupt: %d bytes after the last of its %d sessions", r.Len(), count)
	}
	return nil
}

// decodeSaved decodes one session. The checksum matched, so the bytes are
// what a save wrote, unless someone forged them: a panic in gob must still
// not take the process down.
func decodeSaved(dec *gob.Decoder, saved *savedSession) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gob: %v", r)
		}
	}()
	if err := dec.Decode(saved); err != nil {
		return err
	}
	if saved.ID == "" {
		return errors.New("a session without an ID")
	}
	return nil
}

// record returns the session's record, its values decoded.
func (saved *savedSession) record() (Record, error) {
	values := make(map[string]any, len(saved.Values))
	for k, b := range saved.Values {
		v, err := b.value()
		if err != nil {
			return Record{}, fmt.Errorf("value %q: %w", k, err)
		}
		values[k] = v
	}
	return Record{Values: values, Created: saved.Created, Accessed: saved.Accessed, Idle: saved.Idle, Expires: saved.Expires, User: saved.User}, nil
}

// save writes every session of m to a temporary file beside f.path and
// renames it over f.path. The caller holds m.inflight for writing, so that
// nothing changes meanwhile.
func (f *memoryFile) save(m *memory) (err error) {
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, tempPattern(f.path))
	if err != nil {
		return fmt.Errorf("store: saving sessions: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("store: saving sessions to %s: %w", f.path, err)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil { // CreateTemp's mode already; said here for the reader
		return err
	}
	buf := bufio.NewWriterSize(tmp, 1<<16)
	w := &countingWriter{w: buf}
	var header [headerSize]byte
	copy(header[:], fileMagic)
	binary.BigEndian.PutUint32(header[len(fileMagic):], fileVersion)
	w.Write(header[:]) // the size is written at the end, in place
	sum := sha256.New()
	body := io.MultiWriter(w, sum)
	enc := gob.NewEncoder(body)
	count, skipped, err := m.writeSessions(enc)
	if err != nil {
		return err
	}
	var trailer [trailerSize]byte
	binary.BigEndian.PutUint64(trailer[:8], count)
	sum.Write(trailer[:8])
	copy(trailer[8:], sum.Sum(nil))
	w.Write(trailer[:])
	if w.err != nil {
		return w.err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	var size [8]byte
	binary.BigEndian.PutUint64(size[:], uint64(w.n))
	if _, err := tmp.WriteAt(size[:], int64(len(fileMagic)+4)); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return skipped
}

// writeSessions encodes every live session of m to enc and returns how many
// it wrote, and an error naming the sessions it skipped because a value
// could not be encoded (nil when none). It stops at the first error of enc,
// which leaves the stream unusable.
func (m *memory) writeSessions(enc *gob.Encoder) (count uint64, skipped, err error) {
	var skippedErrs []error
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.RLock()
		for id, e := range s.all() {
			if e.renewed {
				continue // a tombstone: see OpenMemory
			}
			saved, err := newSavedSession(id, e.record())
			if err != nil {
				skippedErrs = append(skippedErrs, err)
				continue
			}
			if err := enc.Encode(saved); err != nil {
				s.mu.RUnlock()
				return count, nil, err
			}
			count++
		}
		s.mu.RUnlock()
	}
	if len(skippedErrs) > 0 {
		skipped = fmt.Errorf("%d sessions saved; %d skipped because a value could not be encoded: %w",
			count, len(skippedErrs), errors.Join(skippedErrs...))
	}
	return count, skipped, nil
}

func newSavedSession(id string, rec Record) (*savedSession, error) {
	// In UTC: gob cannot send every zone offset a clock may give, and the
	// store compares instants only.
	saved := &savedSession{ID: id, Created: rec.Created.UTC(), Accessed: rec.Accessed.UTC(), Idle: rec.Idle, Expires: rec.Expires.UTC(),
		User: rec.User, Values: make(map[string]savedValue, len(rec.Values))}
	for k, v := range rec.Values {
		b, err := newSavedValue(v)
		if err != nil {
			return nil, fmt.Errorf("session %s, value %q: %w", MaskedID(id), k, err)
		}
		saved.Values[k] = b
	}
	return saved, nil
}

// CheckValue implements [ValueChecker]: a store from OpenMemory refuses,
// at Set time, a value it could not save.
func (savingMemory) CheckValue(_ string, value any) error {
	_, err := newSavedValue(value)
	return err
}

// countingWriter counts what it writes and keeps the first error, so that
// the save checks once rather than at every write.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// tempPattern names the temporary files of a save to path, for
// os.CreateTemp: hidden, and found again by removeLeftovers.
func tempPattern(path string) string {
	return tempPrefix(path) + "*"
}

// tempPrefix is what the names of path's temporary files begin with.
func tempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// removeLeftovers removes the temporary files that saves to path left when
// the process died before renaming them: they are incomplete, and they hold
// session IDs. One process at a time uses a path, so none is in use. It
// matches names itself rather than through filepath.Glob: a path whose name
// holds glob's characters ("[", "*", "\\") would otherwise keep its
// leftovers, or take another path's temporary files (those of
// "sessions.tmp-7" begin as those of "sessions" do) for its own.
func removeLeftovers(path string) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if ok && rest != "" && strings.Trim(rest, "0123456789") == "" { // os.CreateTemp's random part is decimal
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// probeDir checks that a save to path can create its temporary file.
func probeDir(path string) error {
	probe, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return err
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// syncDir makes a rename or a removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
