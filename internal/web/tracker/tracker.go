// Package tracker builds and serves the browser tracker: the core, /sdk.js,
// and a chunk per plugin under /sdk/, loaded by the core when a page asks
// for the plugin (ac('load', …), ac('forms:track', …), the consent banner).
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
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

//go:embed src/*.ts src/plugins/*.ts
var sources embed.FS

// Asset is one built script.
type Asset struct {
	JS   []byte // minified JavaScript
	Gzip []byte // JS, gzip-compressed at the best ratio
	ETag string // strong entity tag of JS, quoted
}

// Bundle is the built tracker: the core and its plugin chunks by name.
type Bundle struct {
	Asset
	Chunks map[string]Asset
	// Version names this build (a hash of every script). The core asks for
	// chunks with ?v=Version, so a cached core never runs a chunk of
	// another build for longer than its own cache lifetime.
	Version string
}

const namespace = "presage-tracker"

// Build bundles src/main.ts and its imports into the core, and each
// src/plugins/*.ts entry (other than the files plugins share, named with a
// leading underscore) into its chunk: minified ES2017 IIFEs.
func Build() (Bundle, error) {
	return build(sources)
}

func build(fsys fs.FS) (Bundle, error) {
	names, err := pluginNames(fsys)
	if err != nil {
		return Bundle{}, err
	}
	b := Bundle{Chunks: map[string]Asset{}}
	sum := sha256.New()
	for _, name := range names {
		a, err := bundle(fsys, "plugins/"+name+".ts", nil, true)
		if err != nil {
			return Bundle{}, fmt.Errorf("tracker: plugin %s: %w", name, err)
		}
		b.Chunks[name] = a
		sum.Write(a.JS)
	}
	list := `["` + strings.Join(names, `","`) + `"]`
	// The core's own sources count too: the version must change when the
	// interface between core and chunks does.
	_ = fs.WalkDir(fsys, "src", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := fs.ReadFile(fsys, p)
			sum.Write(data)
		}
		return nil
	})
	b.Version = hex.EncodeToString(sum.Sum(nil)[:8])
	core, err := bundle(fsys, "main.ts", map[string]string{"__VERSION__": `"` + b.Version + `"`, "__PLUGINS__": list}, false)
	if err != nil {
		return Bundle{}, fmt.Errorf("tracker: build: %w", err)
	}
	b.Asset = core
	return b, nil
}

// pluginNames lists the chunk entries of src/plugins, sorted.
func pluginNames(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, "src/plugins")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tracker: list plugins: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".ts") && !strings.HasPrefix(n, "_") {
			names = append(names, strings.TrimSuffix(n, ".ts"))
		}
	}
	slices.Sort(names)
	return names, nil
}

// bundle builds one entry point. A chunk may import only files under
// plugins/ (and types from anywhere): a second copy of a core module would
// carry state of its own, so plugins reach the core through the Api the
// core hands them.
func bundle(fsys fs.FS, entry string, define map[string]string, chunk bool) (Asset, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{entry},
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
		Outfile:           "out.js",
		Define:            define,
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{embedPlugin(fsys, chunk)},
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return Asset{}, errors.New(strings.Join(msgs, "\n"))
	}
	if len(res.OutputFiles) != 1 {
		return Asset{}, errors.New("expected one output file")
	}
	return asset(res.OutputFiles[0].Contents)
}

func asset(js []byte) (Asset, error) {
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return Asset{}, err
	}
	if _, err := w.Write(js); err != nil {
		return Asset{}, err
	}
	if err := w.Close(); err != nil {
		return Asset{}, err
	}
	sum := sha256.Sum256(js)
	return Asset{JS: js, Gzip: gz.Bytes(), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// embedPlugin resolves every import to a file of fsys under src/ (relative
// imports only, ".ts" implied) and loads it from there: nothing is read from
// disk or node_modules. In a chunk build only files under plugins/ resolve.
func embedPlugin(fsys fs.FS, chunk bool) api.Plugin {
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
				p = path.Clean(p)
				if chunk && !strings.HasPrefix(p, "plugins/") {
					return api.OnResolveResult{}, fmt.Errorf("a plugin may import only plugins/ files (use the Api for the core), got %q", p)
				}
				return api.OnResolveResult{Path: p, Namespace: namespace}, nil
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
