// Command gomodzip makes the Go SDK's module zip as the Go module proxy makes it from the tag
// sdk/go/v<version>, checks it with golang.org/x/mod/zip (the checks the go command applies to every module it
// downloads), and lays it out as a file-system module proxy, so that `go mod download` can fetch it as users
// will (GOPROXY=file://<out dir>). The folder given should hold what git holds at the commit (the proxy zips
// the tagged tree, `git archive`): golang.org/x/mod/zip's CreateFromVCS does not recognise a git worktree.
//
// Usage: go run . <module folder> <module path> <version> <out dir>
//
// Writes <out dir>/<escaped module path>/@v/<version>.{zip,mod,info} and prints, as JSON, the zip's path, its
// go.sum hash (h1:) and the files it holds.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	if len(os.Args) != 5 {
		fail(fmt.Errorf("usage: gomodzip <module folder> <module path> <version> <out dir>"))
	}
	dir, path, version, out := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	mod := module.Version{Path: path, Version: version}
	if err := module.Check(path, version); err != nil {
		fail(err)
	}
	checked, err := modzip.CheckDir(dir)
	if err != nil {
		fail(fmt.Errorf("%s: %w", dir, err))
	}
	if len(checked.Omitted) > 0 {
		// Files the zip would silently leave out (nested modules, vendor folders, ...): say which.
		fail(fmt.Errorf("%s: files the module zip would omit: %v", dir, checked.Omitted))
	}
	escaped, err := module.EscapePath(path)
	if err != nil {
		fail(err)
	}
	at := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		fail(err)
	}
	zipPath := filepath.Join(at, version+".zip")
	f, err := os.Create(zipPath)
	if err != nil {
		fail(err)
	}
	if err := modzip.CreateFromDir(f, mod, dir); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	zipChecked, err := modzip.CheckZip(mod, zipPath)
	if err != nil {
		fail(fmt.Errorf("%s: %w", zipPath, err))
	}
	hash, err := dirhash.HashZip(zipPath, dirhash.DefaultHash)
	if err != nil {
		fail(err)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		fail(err)
	}
	write(filepath.Join(at, version+".mod"), gomod)
	info, _ := json.Marshal(map[string]string{"Version": version})
	write(filepath.Join(at, version+".info"), info)

	files := append([]string{}, zipChecked.Valid...)
	sort.Strings(files)
	result, _ := json.MarshalIndent(map[string]any{"zip": zipPath, "hash": hash, "files": files}, "", "  ")
	fmt.Println(string(result))
}

func write(path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "gomodzip: %v\n", err)
	os.Exit(1)
}
