// sumdb-server is a real Go checksum database server for gohost's sumdb tests, built from
// golang.org/x/mod (sumdb.NewServer over an in-memory tlog, like sumdb.TestServer, with a
// freshly generated note key). It listens on 127.0.0.1 only.
//
// Records are computed from a file:// GOPROXY tree (-proxy DIR): the lookup of path@version
// hashes DIR/<escaped path>/@v/<version>.zip with dirhash.HashZip and the .mod file with
// dirhash.Hash1, exactly what sum.golang.org serves. Unknown modules are 404.
//
// Misbehaviours for tests are switched at run time with GET /_control/mode?m=NAME:
//
//	normal     serve the database faithfully
//	forged     /latest and lookups carry a signed note whose text was altered after signing
//	fork       serve a different tree, signed with the same key, that does not contain the
//	           tree served so far as a prefix (one injected record first)
//	hang       accept requests and never answer (until the client gives up)
//	malformed  /latest, lookups and tiles answer with syntactically broken bodies
//
// This program is test-only: it is not part of gohost and is never shipped.
//
// Build (GOPATH mode, against Debian's golang-golang-x-mod-dev, offline):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o sumdb-server .
//
// Usage: sumdb-server -proxy DIR -name NAME -info FILE
// writes FILE as JSON {"addr":"127.0.0.1:PORT","vkey":"NAME+hash+key"} once listening.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// store is an append-only tlog held in memory.
type store struct {
	signer  note.Signer
	records [][]byte
	hashes  []tlog.Hash
	lookup  map[string]int64
}

func newStore(signer note.Signer) *store {
	return &store{signer: signer, lookup: map[string]int64{}}
}

func (s *store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(indexes))
	for _, i := range indexes {
		if i < 0 || i >= int64(len(s.hashes)) {
			return nil, fs.ErrNotExist
		}
		out = append(out, s.hashes[i])
	}
	return out, nil
}

func (s *store) add(key string, data []byte) (int64, error) {
	id := int64(len(s.records))
	hashes, err := tlog.StoredHashesForRecordHash(id, tlog.RecordHash(data), s)
	if err != nil {
		return 0, err
	}
	s.records = append(s.records, data)
	s.hashes = append(s.hashes, hashes...)
	s.lookup[key] = id
	return id, nil
}

func (s *store) signed() ([]byte, error) {
	size := int64(len(s.records))
	h, err := tlog.TreeHash(size, s)
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: size, Hash: h}))}, s.signer)
}

type server struct {
	proxy string

	mu    sync.Mutex
	mode  string
	main  *store
	fork  *store // built on switching to fork mode
	order []string
}

// gosum computes the go.sum lines of path@vers from the file proxy.
func (srv *server) gosum(path, vers string) ([]byte, error) {
	esc, err := module.EscapePath(path)
	if err != nil {
		return nil, err
	}
	escV, err := module.EscapeVersion(vers)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(srv.proxy, esc, "@v", escV)
	zh, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fs.ErrNotExist
		}
		return nil, err
	}
	mod, err := os.ReadFile(base + ".mod")
	if err != nil {
		return nil, err
	}
	mh, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(mod)), nil
	})
	if err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", path, vers, zh, path, vers, mh)), nil
}

func (srv *server) current() *store {
	if srv.mode == "fork" && srv.fork != nil {
		return srv.fork
	}
	return srv.main
}

// ops adapts the server to sumdb.ServerOps, applying the current mode.
type ops struct{ srv *server }

func (o ops) Signed(ctx context.Context) ([]byte, error) {
	o.srv.mu.Lock()
	defer o.srv.mu.Unlock()
	return o.srv.signedLocked()
}

func (srv *server) signedLocked() ([]byte, error) {
	signed, err := srv.current().signed()
	if err != nil {
		return nil, err
	}
	switch srv.mode {
	case "forged":
		// Keep the signature, change the signed text: a forgery a verifier must reject.
		i := bytes.Index(signed, []byte("\n\n"))
		text := strings.Split(string(signed[:i+1]), "\n")
		text[1] = fmt.Sprint(len(srv.current().records) + 1000)
		return append([]byte(strings.Join(text, "\n")), signed[i+1:]...), nil
	case "malformed":
		return []byte("this is not a signed note\n"), nil
	}
	return signed, nil
}

func (o ops) ReadRecords(ctx context.Context, id, n int64) ([][]byte, error) {
	o.srv.mu.Lock()
	defer o.srv.mu.Unlock()
	st := o.srv.current()
	var list [][]byte
	for i := int64(0); i < n; i++ {
		if id+i >= int64(len(st.records)) {
			return nil, fs.ErrNotExist
		}
		list = append(list, st.records[id+i])
	}
	return list, nil
}

func (o ops) Lookup(ctx context.Context, m module.Version) (int64, error) {
	key := m.String()
	o.srv.mu.Lock()
	st := o.srv.current()
	if id, ok := st.lookup[key]; ok {
		o.srv.mu.Unlock()
		return id, nil
	}
	o.srv.mu.Unlock()
	data, err := o.srv.gosum(m.Path, m.Version)
	if err != nil {
		return 0, err
	}
	o.srv.mu.Lock()
	defer o.srv.mu.Unlock()
	st = o.srv.current()
	if id, ok := st.lookup[key]; ok {
		return id, nil
	}
	id, err := st.add(key, data)
	if err == nil && st == o.srv.main {
		o.srv.order = append(o.srv.order, key)
	}
	return id, err
}

func (o ops) ReadTileData(ctx context.Context, t tlog.Tile) ([]byte, error) {
	o.srv.mu.Lock()
	defer o.srv.mu.Unlock()
	return tlog.ReadTileData(t, o.srv.current())
}

func (srv *server) setMode(mode string) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	switch mode {
	case "normal", "forged", "hang", "malformed":
	case "fork":
		// Same key, same records after one injected record: every leaf index shifts, so
		// the old tree is not a prefix of this one.
		f := newStore(srv.main.signer)
		injected := "example.com/injected v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
		if _, err := f.add("example.com/injected@v1.0.0", []byte(injected)); err != nil {
			return err
		}
		for i, key := range srv.order {
			if _, err := f.add(key, srv.main.records[i]); err != nil {
				return err
			}
		}
		srv.fork = f
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	srv.mode = mode
	return nil
}

func main() {
	proxy := flag.String("proxy", "", "file:// GOPROXY directory holding the module zips")
	name := flag.String("name", "sumdb.gohost.test", "database name (host[/path])")
	info := flag.String("info", "", "write {\"addr\",\"vkey\"} JSON here once listening")
	flag.Parse()
	if *proxy == "" || *info == "" {
		log.Fatal("usage: sumdb-server -proxy DIR -info FILE [-name NAME]")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, *name)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}
	srv := &server{proxy: *proxy, mode: "normal", main: newStore(signer)}
	handler := sumdb.NewServer(ops{srv})
	mux := http.NewServeMux()
	mux.HandleFunc("/_control/mode", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.setMode(r.URL.Query().Get("m")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		srv.mu.Lock()
		mode := srv.mode
		srv.mu.Unlock()
		switch mode {
		case "hang":
			<-r.Context().Done()
			return
		case "malformed":
			if strings.HasPrefix(r.URL.Path, "/tile/") {
				w.Write([]byte("short"))
				return
			}
			if strings.HasPrefix(r.URL.Path, "/lookup/") {
				w.Write([]byte("not a record\n"))
				return
			}
		}
		handler.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	data, _ := json.Marshal(map[string]string{"addr": ln.Addr().String(), "vkey": vkey})
	tmp := *info + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, *info); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(ln, mux))
}
