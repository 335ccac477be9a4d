// Package tracker builds and serves the browser tracker, /sdk.js.
//
// The tracker's TypeScript sources are embedded in the binary and bundled
// with esbuild's Go API when the server starts, so building Presage needs no
// Node.js. The package owns the tracker's code and its HTTP delivery; it
// never reads or stores events (that is the collector's job).
package tracker

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

//go:embed src/*.ts
var sources embed.FS

// Bundle is the built tracker.
type Bundle struct {
	JS   []byte // minified JavaScript
	Gzip []byte // JS, gzip-compressed at the best ratio
	ETag string // strong entity tag of JS, quoted
}

const namespace = "presage-tracker"

// Build bundles src/main.ts and its imports from the embedded sources into
// one minified ES2017 IIFE.
func Build() (Bundle, error) {
	return build(sources)
}

func build(fsys fs.FS) (Bundle, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{"main.ts"},
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Target:            api.ES2017,
		Platform:          api.PlatformBrowser,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		Outfile:           "sdk.js",
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{embedPlugin(fsys)},
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return Bundle{}, fmt.Errorf("tracker: build: %s", strings.Join(msgs, "\n"))
	}
	if len(res.OutputFiles) != 1 {
		return Bundle{}, errors.New("tracker: build: expected one output file")
	}
	js := res.OutputFiles[0].Contents
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return Bundle{}, err
	}
	if _, err := w.Write(js); err != nil {
		return Bundle{}, err
	}
	if err := w.Close(); err != nil {
		return Bundle{}, err
	}
	sum := sha256.Sum256(js)
	return Bundle{JS: js, Gzip: gz.Bytes(), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// embedPlugin resolves every import to a file of fsys under src/ (relative
// imports only, ".ts" implied) and loads it from there: nothing is read from
// disk or node_modules.
func embedPlugin(fsys fs.FS) api.Plugin {
	return api.Plugin{
		Name: "embed",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				p := args.Path
				if args.Kind != api.ResolveEntryPoint {
					if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
						return api.OnResolveResult{}, fmt.Errorf("only relative imports are allowed, got %q", p)
					}
					p = path.Join(path.Dir(args.Importer), p)
				}
				if path.Ext(p) != ".ts" {
					p += ".ts"
				}
				return api.OnResolveResult{Path: path.Clean(p), Namespace: namespace}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: namespace}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				data, err := fs.ReadFile(fsys, path.Join("src", args.Path))
				if err != nil {
					return api.OnLoadResult{}, err
				}
				s := string(data)
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderTS}, nil
			})
		},
	}
}
