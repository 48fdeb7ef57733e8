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
// It also writes the plugin's download URL, derived from package.json's repository, into schema.json and
// examples/yaml (the one place it is said is package.json).
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
	var npm struct {
		Version    string
		Repository struct{ URL string }
	}
	readJSON(packagePath, &npm)
	// The SDKs carry the plugin's version, so that they ask the engine for the matching plugin.
	spec.Version = npm.Version
	// ...and where to download it: the GitHub releases of package.json's repository, also kept in schema.json.
	spec.PluginDownloadURL = pluginDownloadURL(npm.Repository.URL)
	writePluginDownloadURL(schemaPath, spec.PluginDownloadURL, npm.Version)
	goModule := goModulePath(npm.Repository.URL)

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
	checkGoImportBasePath(spec, goModule)
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

// githubRepository is "<owner>/<repo>" of package.json's `repository.url` (a GitHub URL such as
// git+https://github.com/<owner>/<repo>.git): the one place that says where the project is published, from
// which the Go module path and the plugin's download URL both derive.
func githubRepository(repositoryURL string) string {
	m := regexp.MustCompile(`^(?:git\+)?(?:https?|ssh|git)://(?:git@)?github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?$`).
		FindStringSubmatch(repositoryURL)
	if m == nil {
		fail(fmt.Errorf("package.json repository.url must be a GitHub repository URL such as "+
			"git+https://github.com/<owner>/<repo>.git (the Go SDK's module path and the plugin's download URL "+
			"derive from it), got %q", repositoryURL))
	}
	return m[1]
}

// goModulePath is the Go module path of sdk/go: the repository's folder sdk/go, which `go get` resolves from
// the repository's tags sdk/go/v<version>.
func goModulePath(repositoryURL string) string {
	return "github.com/" + githubRepository(repositoryURL) + "/sdk/go"
}

// checkGoImportBasePath fails unless schema.json's language.go.importBasePath is the package inside that module.
func checkGoImportBasePath(spec schema.PackageSpec, module string) {
	var goInfo struct{ ImportBasePath string }
	if err := json.Unmarshal(spec.Language["go"], &goInfo); err != nil {
		fail(fmt.Errorf("schema.json language.go: %w", err))
	}
	want := module + "/cloudflarestream"
	if goInfo.ImportBasePath != want {
		fail(fmt.Errorf("schema.json language.go.importBasePath is %q; with package.json's repository it must be %q",
			goInfo.ImportBasePath, want))
	}
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
func pluginDownloadURL(repositoryURL string) string {
	return "github://api.github.com/" + githubRepository(repositoryURL)
}

// writePluginDownloadURL sets schema.json's pluginDownloadURL in place, and the resource options of the YAML
// example (which has no SDK to carry them), leaving the rest of each file as it is.
func writePluginDownloadURL(schemaPath, url, version string) {
	rewrite(schemaPath, `"pluginDownloadURL": *"[^"]*"`, fmt.Sprintf(`"pluginDownloadURL": %q`, url))
	example := filepath.Join(filepath.Dir(schemaPath), "examples", "yaml", "Pulumi.yaml")
	rewrite(example, `pluginDownloadURL: .*`, "pluginDownloadURL: "+url)
	rewrite(example, `version: .*`, "version: "+version)
}

func rewrite(path, pattern, replacement string) {
	data, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	key := regexp.MustCompile(pattern)
	if n := len(key.FindAll(data, -1)); n != 1 {
		fail(fmt.Errorf("%s: expected one match of %s to fill in, found %d", path, pattern, n))
	}
	updated := key.ReplaceAllLiteral(data, []byte(replacement))
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
