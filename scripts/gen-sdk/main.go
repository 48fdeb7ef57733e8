// Command gen-sdk generates the Go, Python and Node.js SDKs of the cloudflare-stream package from schema.json.
//
// `pulumi package gen-sdk` (CLI 3.276) hands SDK generation to each language's plugin (pulumi-language-go,
// -python, -nodejs, -dotnet), and the Go module proxy reachable here serves none of those plugins' modules at a
// version that implements GeneratePackage. The code generators themselves are public packages of
// github.com/pulumi/pulumi/pkg/v3 (the module the CLI is built from), so this program calls them directly,
// as those plugins do. .NET's generator lives in github.com/pulumi/pulumi-dotnet, which the proxy refuses.
//
// Usage (from the repository root): go run ./scripts/gen-sdk schema.json package.json sdk
//
// The names the project is published under are said once, in package.json's `pulumiProvider` block (the
// GitHub repository, the Node.js SDK's npm package, the PyPI project, the Go module path); this program
// writes them into schema.json (its language blocks and pluginDownloadURL) and examples/yaml, and fails when
// package.json contradicts itself (its repository, homepage and bugs URLs, or a Go module path that the
// repository cannot serve).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-cloudflare-stream-download gen-sdk"

func main() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: gen-sdk <schema.json> <package.json> <out dir>"))
	}
	schemaPath, packagePath, out := os.Args[1], os.Args[2], os.Args[3]

	var spec schema.PackageSpec
	readJSON(schemaPath, &spec)
	var npm packageJSON
	readJSON(packagePath, &npm)
	names := npm.PulumiProvider
	checkNames(npm)
	// The SDKs carry the plugin's version, so that they ask the engine for the matching plugin.
	spec.Version = npm.Version
	// ...and where to download it: the GitHub releases of the repository, also kept in schema.json.
	spec.PluginDownloadURL = pluginDownloadURL(names.GitHub)
	writePluginDownloadURL(schemaPath, spec.PluginDownloadURL, npm.Version)
	goModule := names.GoModule
	writeLanguageNames(schemaPath, &spec, names)

	generators := map[string]func(*schema.Package) (map[string][]byte, error){
		"go": func(p *schema.Package) (map[string][]byte, error) {
			files, err := gogen.GeneratePackage(tool, p, nil)
			if err == nil {
				files["go.mod"] = goMod(goModule)
			}
			return files, err
		},
		"python": func(p *schema.Package) (map[string][]byte, error) {
			return python.GeneratePackage(tool, p, nil, nil)
		},
		"nodejs": func(p *schema.Package) (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, p, nil, nil, false, nil)
		},
	}
	for _, lang := range []string{"go", "nodejs", "python"} {
		// Each generator adds its own language data to the package, so bind a fresh one per language.
		pkg, diags, err := schema.BindSpec(spec, schema.NewNullLoader(), schema.ValidationOptions{})
		if err != nil {
			fail(err)
		}
		if diags.HasErrors() {
			fail(diags)
		}
		files, err := generators[lang](pkg)
		if err != nil {
			fail(fmt.Errorf("%s: %w", lang, err))
		}
		dir := filepath.Join(out, lang)
		if err := os.RemoveAll(dir); err != nil {
			fail(err)
		}
		for name, content := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				fail(err)
			}
			if err := os.WriteFile(path, content, 0o644); err != nil {
				fail(err)
			}
		}
		fmt.Fprintf(os.Stderr, "gen-sdk: %s: %d files in %s\n", lang, len(files), dir)
	}
}

// packageJSON is what this program reads of package.json.
type packageJSON struct {
	Name       string
	Version    string
	Homepage   string
	Repository struct{ URL string }
	Bugs       struct{ URL string }
	// PulumiProvider holds the names the project is published under: the one place they are said.
	PulumiProvider providerNames `json:"pulumiProvider"`
}

// providerNames is package.json's pulumiProvider block.
type providerNames struct {
	GitHub      string `json:"github"`      // "<owner>/<repo>": the releases, the plugin's download URL
	NodejsSdk   string `json:"nodejsSdk"`   // the Node.js SDK's npm package
	PypiProject string `json:"pypiProject"` // the Python SDK's PyPI project (and import package)
	GoModule    string `json:"goModule"`    // the Go SDK's module path
}

// checkNames fails unless package.json's own URLs name the pulumiProvider.github repository and the Go module
// path is the repository's folder sdk/go (which `go get` resolves from the tags sdk/go/v<version>).
func checkNames(npm packageJSON) {
	names := npm.PulumiProvider
	if !regexp.MustCompile(`^[\w.-]+/[\w.-]+$`).MatchString(names.GitHub) {
		fail(fmt.Errorf("package.json pulumiProvider.github must be \"<owner>/<repo>\" of the GitHub repository, got %q", names.GitHub))
	}
	for field, value := range map[string]string{
		"nodejsSdk":   names.NodejsSdk,
		"pypiProject": names.PypiProject,
		"goModule":    names.GoModule,
	} {
		if value == "" {
			fail(fmt.Errorf("package.json pulumiProvider.%s is missing: the names the SDKs are published under live there", field))
		}
	}
	web := "https://github.com/" + names.GitHub
	for field, pair := range map[string][2]string{
		"repository.url": {npm.Repository.URL, "git+" + web + ".git"},
		"homepage":       {npm.Homepage, web + "#readme"},
		"bugs.url":       {npm.Bugs.URL, web + "/issues"},
	} {
		if pair[0] != pair[1] {
			fail(fmt.Errorf("package.json %s is %q; with pulumiProvider.github %q it must be %q", field, pair[0], names.GitHub, pair[1]))
		}
	}
	if want := "github.com/" + names.GitHub + "/sdk/go"; names.GoModule != want {
		fail(fmt.Errorf("package.json pulumiProvider.goModule is %q; Go resolves the SDK from the repository, so it must be %q", names.GoModule, want))
	}
}

// writeLanguageNames sets the SDK package names of schema.json's language blocks (in the spec, and in the file
// in place) from package.json.
func writeLanguageNames(schemaPath string, spec *schema.PackageSpec, names providerNames) {
	set := func(lang, key, value string) {
		var block map[string]any
		if err := json.Unmarshal(spec.Language[lang], &block); err != nil {
			fail(fmt.Errorf("schema.json language.%s: %w", lang, err))
		}
		block[key] = value
		raw, err := json.Marshal(block)
		if err != nil {
			fail(err)
		}
		spec.Language[lang] = raw
		rewriteKeyIn(schemaPath, lang, key, value)
	}
	set("nodejs", "packageName", names.NodejsSdk)
	set("python", "packageName", names.PypiProject)
	set("go", "importBasePath", names.GoModule+"/cloudflarestream")
}

// goMod makes sdk/go a module of its own, requiring the pulumi Go SDK at the version this generator was built
// with (the CLI's version): the generated code is written for that SDK.
func goMod(module string) []byte {
	sdk := "github.com/pulumi/pulumi/sdk/v3"
	version := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == sdk {
				version = dep.Version
			}
		}
	}
	if version == "" {
		fail(fmt.Errorf("cannot tell which %s this generator was built with", sdk))
	}
	return []byte(fmt.Sprintf("module %s\n\ngo 1.24\n\nrequire %s %s\n", module, sdk, version))
}

// pluginDownloadURL is the Pulumi download URL of the repository's GitHub releases (assets named
// pulumi-resource-<name>-v<version>-<os>-<arch>.tar.gz under the tag v<version>).
func pluginDownloadURL(github string) string {
	return "github://api.github.com/" + github
}

// writePluginDownloadURL sets schema.json's pluginDownloadURL in place, and the resource options of the YAML
// example (which has no SDK to carry them), leaving the rest of each file as it is.
func writePluginDownloadURL(schemaPath, url, version string) {
	rewrite(schemaPath, `"pluginDownloadURL": *"[^"]*"`, fmt.Sprintf(`"pluginDownloadURL": %q`, url))
	example := filepath.Join(filepath.Dir(schemaPath), "examples", "yaml", "Pulumi.yaml")
	rewrite(example, `pluginDownloadURL: .*`, "pluginDownloadURL: "+url)
	rewrite(example, `version: .*`, "version: "+version)
}

// rewriteKeyIn sets `"key": "value"` inside the "lang": { ... } block of schema.json, leaving the rest as it is.
func rewriteKeyIn(path, lang, key, value string) {
	quoted, err := json.Marshal(value)
	if err != nil {
		fail(err)
	}
	pattern := `("` + regexp.QuoteMeta(lang) + `": \{[^{}]*?"` + regexp.QuoteMeta(key) + `": )"[^"]*"`
	rewriteWith(path, pattern, func(m []string) string { return m[1] + string(quoted) })
}

func rewrite(path, pattern, replacement string) {
	rewriteWith(path, pattern, func([]string) string { return replacement })
}

// rewriteWith replaces the one match of pattern in the file with what replacement makes of its groups.
func rewriteWith(path, pattern string, replacement func(groups []string) string) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	key := regexp.MustCompile(pattern)
	if n := len(key.FindAll(data, -1)); n != 1 {
		fail(fmt.Errorf("%s: expected one match of %s to fill in, found %d", path, pattern, n))
	}
	updated := key.ReplaceAllFunc(data, func(match []byte) []byte {
		groups := key.FindSubmatch(match)
		parts := make([]string, len(groups))
		for i, g := range groups {
			parts[i] = string(g)
		}
		return []byte(replacement(parts))
	})
	if bytes.Equal(updated, data) {
		return // already current: a run that changes nothing writes nothing (tests/sdks/generated.test.ts runs this)
	}
	if err := os.WriteFile(path, updated, 0o644); err != nil {
		fail(err)
	}
}

func readJSON(path string, v any) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		fail(fmt.Errorf("%s: %w", path, err))
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "gen-sdk: %v\n", err)
	os.Exit(1)
}
