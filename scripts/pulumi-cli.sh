#!/usr/bin/env bash
# scripts/pulumi-cli.sh — make a working Pulumi CLI available and print the folder that holds it.
#
#   PATH="$(bash scripts/pulumi-cli.sh | tail -1):$PATH"
#
# The LAST line of stdout is a folder holding `pulumi`, `pulumi-language-nodejs` and
# `pulumi-resource-pulumi-nodejs`; everything else goes to stderr.
#
# 1. If `pulumi` is on PATH and the two Node.js plugins are reachable (on PATH or beside it), use it.
# 2. Otherwise build them once with Go into
#      ${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-pulumi-cli}/<version>/bin
#    and reuse that on later runs (a cached run takes about a second). The version is pinned to the
#    version of the @pulumi/pulumi npm package in package-lock.json, 3.276.0 (override with
#    PULUMI_CLI_VERSION at your own risk: the language host below is written against that SDK).
#    Only the Go module proxy is needed: no binary downloads.
#
# How the pieces are built (reasons recorded here on purpose):
# - pulumi: github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the pinned tag. `go install pkg@version`
#   refuses it because pulumi's pkg/go.mod has replace directives, so we build from a generated
#   wrapper module that requires it (as a `tool`) and repeats its non-local replace directives. Its
#   local `sdk/v3 => ../sdk` replace is dropped: sdk/v3 at the same tag, from the proxy, is that code.
#   The version is stamped with -ldflags -X .../sdk/v3/go/common/version.Version=v<version>; without
#   it the Automation API cannot parse `pulumi version`.
# - pulumi-language-nodejs: upstream's module
#   github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 is NOT served by the Go module
#   proxy reachable here: every tagged version, pseudo-version/commit and even @v/list answer
#   "403 This module version is not available", and sdk/v3 no longer contains the language host
#   (the old .../sdk/v3/nodejs/cmd/pulumi-language-nodejs path is gone). So this script writes a
#   reduced port of upstream's main.go (below, Apache-2.0) into the wrapper module and builds it
#   against sdk/v3 at the pinned version. It runs programs exactly as upstream does
#   (`node @pulumi/pulumi/cmd/run --monitor ... --engine ... <entry>` with PULUMI_CONFIG,
#   PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT, ...), which @pulumi/pulumi from npm
#   expects. Not ported: synchronous-invoke pipes and the monitor proxy (the SDK then uses async
#   invokes), debugger attach, bun, codegen/pack/link, and plugin discovery from node_modules
#   (it reports no required plugins, so nothing is downloaded up front; that suits an offline
#   machine and dynamic providers).
# - pulumi-resource-pulumi-nodejs: a copy of the launcher shipped in the @pulumi/pulumi npm package
#   ($REPO/node_modules/@pulumi/pulumi/); it resolves @pulumi/pulumi/cmd/dynamic-provider from the
#   program's working directory, so run `npm ci` first.
#
# Useful env for callers: PULUMI_SKIP_UPDATE_CHECK=true (no network check for new CLI versions).
# Safe to run concurrently (flock on a lock file in the cache dir); builds go to a temp dir inside
# the cache that is renamed into place only when complete.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$SCRIPT_DIR")"
NPM_PULUMI="$REPO/node_modules/@pulumi/pulumi"
LAUNCHER_SRC="$NPM_PULUMI/pulumi-resource-pulumi-nodejs"
PINNED_VERSION=3.276.0
VERSION="${PULUMI_CLI_VERSION:-$PINNED_VERSION}"
VERSION="${VERSION#v}"
CACHE_ROOT="${PULUMI_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stream-download-pulumi-cli}"
VERSION_DIR="$CACHE_ROOT/$VERSION"
BIN="$VERSION_DIR/bin"
INSTALL_HELP="Install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH, or install Go >= 1.26 (with access to the Go module proxy) so this script can build it."

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() { printf 'pulumi-cli: error: %s\n' "$*" >&2; exit 1; }

# 1. A pulumi already on PATH, with both Node.js plugins reachable.
if sys_pulumi="$(command -v pulumi 2>/dev/null)"; then
  sys_dir="$(cd "$(dirname "$sys_pulumi")" && pwd)"
  missing=""
  for exe in pulumi-language-nodejs pulumi-resource-pulumi-nodejs; do
    if ! command -v "$exe" >/dev/null 2>&1 && [ ! -x "$sys_dir/$exe" ]; then
      missing="$missing $exe"
    fi
  done
  if [ -z "$missing" ]; then
    log "using pulumi from PATH: $sys_pulumi"
    echo "$sys_dir"
    exit 0
  fi
  log "pulumi is on PATH ($sys_pulumi) but$missing is not; using a cached build of all three instead"
fi

# 2. The cached build.
cache_ok() {
  [ -f "$VERSION_DIR/.complete" ] && [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ] &&
    [ -x "$BIN/pulumi-resource-pulumi-nodejs" ] &&
    [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$BIN/pulumi" version 2>/dev/null)" = "v$VERSION" ]
}
if cache_ok; then
  log "using cached Pulumi CLI v$VERSION in $BIN"
  echo "$BIN"
  exit 0
fi

# 3. Build it.
GO_BIN="${GO:-}"
if [ -z "$GO_BIN" ]; then
  GO_BIN="$(command -v go 2>/dev/null || true)"
  [ -n "$GO_BIN" ] || { [ -x /usr/local/go/bin/go ] && GO_BIN=/usr/local/go/bin/go; } || true
fi
if [ -z "$GO_BIN" ] || ! "$GO_BIN" version >/dev/null 2>&1; then
  die "no 'pulumi' on PATH and no Go toolchain to build it. $INSTALL_HELP"
fi
if [ ! -f "$LAUNCHER_SRC" ]; then
  die "$LAUNCHER_SRC is missing: run 'npm ci' in $REPO first."
fi
npm_version="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$NPM_PULUMI/package.json" | head -1)"
if [ "$npm_version" != "$VERSION" ]; then
  log "warning: @pulumi/pulumi in node_modules is $npm_version, building the CLI at $VERSION"
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
if command -v flock >/dev/null 2>&1; then
  if ! flock -n 9; then
    log "another copy is building in $CACHE_ROOT; waiting for it..."
    flock 9
  fi
else
  log "warning: flock not found; not locking $CACHE_ROOT"
fi
# Someone else may have finished the build while we waited.
if cache_ok; then
  log "using cached Pulumi CLI v$VERSION in $BIN"
  echo "$BIN"
  exit 0
fi
# We hold the lock, so any leftover temp dir is from an interrupted build.
rm -rf "$CACHE_ROOT"/.build-* 2>/dev/null || true

TMP="$(mktemp -d "$CACHE_ROOT/.build-$VERSION.XXXXXX")"
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
OUT="$TMP/out"     # becomes $VERSION_DIR
MOD="$OUT/src"     # the wrapper module (kept for reference)
mkdir -p "$OUT/bin" "$MOD/langhost"

export GOFLAGS="-mod=mod" GOWORK=off CGO_ENABLED=0
start=$SECONDS
log "building Pulumi CLI v$VERSION with $("$GO_BIN" version) (first run only; takes 10-25 minutes)"

PKG_MOD=github.com/pulumi/pulumi/pkg/v3
log "resolving $PKG_MOD@v$VERSION"
pkg_gomod="$(cd "$TMP" && "$GO_BIN" mod download -json "$PKG_MOD@v$VERSION" |
  sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
[ -f "$pkg_gomod" ] || die "could not download $PKG_MOD@v$VERSION from the Go module proxy"

{
  echo "module pulumicli.local/build"
  echo
  grep -m1 '^go ' "$pkg_gomod" || echo "go 1.26"
  echo
  echo "// Non-local replace directives copied from $PKG_MOD@v$VERSION's go.mod."
  awk '
    /^replace[ \t]*\(/ { blk = 1; next }
    blk && /^\)/       { blk = 0; next }
    blk                { sub(/^[ \t]+/, ""); if ($0 != "" && $0 !~ /^\/\//) print; next }
    /^replace[ \t]/    { sub(/^replace[ \t]+/, ""); print }
  ' "$pkg_gomod" | grep -Ev '=>[[:space:]]*\.\.?/' | sed 's/^/replace /' || true
} >"$MOD/go.mod"

cat >"$MOD/langhost/main.go" <<'GO_SOURCE'
// Minimal Pulumi Node.js language host, generated by scripts/pulumi-cli.sh.
//
// Upstream's pulumi-language-nodejs lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which
// the Go module proxy reachable here does not serve. This is a reduced port of
// its main.go (Apache-2.0, Pulumi Corporation) covering what the engine needs
// to run a Node.js/TypeScript program: Run launches
// `node @pulumi/pulumi/cmd/run ...` with the same flags and environment
// (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT, ...)
// upstream uses. Left out: the resource-monitor proxy and synchronous-invoke
// pipes (the SDK talks to the engine's monitor directly and falls back to
// async invokes), debugging, bun, code generation, Pack/Link, RunPlugin, and
// plugin discovery from node_modules (GetRequiredPackages reports none, so the
// engine never tries to download provider plugins up front).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// The @pulumi/pulumi entry point that runs a program (resolved from the program directory).
	defaultRunPath = "@pulumi/pulumi/cmd/run"
	// Exit code @pulumi/pulumi uses after it already showed the user an actionable message.
	bailExitCode = 32
)

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	runtimeName := flag.String("runtime", "nodejs", "Runtime to use; only `nodejs` is supported by this build")
	showVersion := flag.Bool("version", false, "Print the current plugin version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	if *runtimeName != "nodejs" {
		cmdutil.Exit(fmt.Errorf("unsupported runtime: %s", *runtimeName))
	}
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", tracing)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(cancelChannel)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	hostCtx, hostCancel := context.WithCancel(context.Background())
	host := &nodeLanguageHost{engineAddress: engineAddress, tracing: tracing, cancelCtx: hostCtx, cancelFunc: hostCancel}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type nodeLanguageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	cancelCtx     context.Context
	cancelFunc    context.CancelFunc
}

type nodeOptions struct {
	typescript     bool
	tsconfigpath   string
	nodeargs       string
	packagemanager npm.PackageManagerType
	production     bool
}

func parseOptions(info *pulumirpc.ProgramInfo) (nodeOptions, error) {
	opts := nodeOptions{typescript: true, packagemanager: npm.AutoPackageManager}
	options := map[string]any{}
	if info != nil && info.GetOptions() != nil {
		options = info.GetOptions().AsMap()
	}
	if v, ok := options["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("typescript option must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := options["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("tsconfigpath option must be a string")
		}
		opts.tsconfigpath = s
	}
	if v, ok := options["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("nodeargs option must be a string")
		}
		opts.nodeargs = s
	}
	if v, ok := options["production"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("production option must be a boolean")
		}
		opts.production = b
	}
	if v, ok := options["packagemanager"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("packagemanager option must be a string")
		}
		switch s {
		case "auto":
			opts.packagemanager = npm.AutoPackageManager
		case "npm":
			opts.packagemanager = npm.NpmPackageManager
		case "yarn":
			opts.packagemanager = npm.YarnPackageManager
		case "pnpm":
			opts.packagemanager = npm.PnpmPackageManager
		case "bun":
			opts.packagemanager = npm.BunPackageManager
		default:
			return opts, fmt.Errorf("packagemanager option must be one of auto, npm, yarn, pnpm or bun, got %q", s)
		}
	}
	return opts, nil
}

func (host *nodeLanguageHost) Handshake(ctx context.Context,
	req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	host.mu.Lock()
	host.engineAddress = req.GetEngineAddress()
	host.mu.Unlock()
	hcCtx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	if err := rpcutil.Healthcheck(hcCtx, req.GetEngineAddress(), 5*time.Minute, cancel); err != nil {
		return nil, fmt.Errorf("could not start health check host RPC server: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (host *nodeLanguageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (host *nodeLanguageHost) GetRequiredPackages(context.Context,
	*pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (host *nodeLanguageHost) GetRequiredPlugins(context.Context,
	*pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// locateModule resolves a node module name to a file path, from the program directory.
func locateModule(mod, programDir, nodeBin string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve('%s')); } catch (error) { `+
		`if (error.code === 'MODULE_NOT_FOUND') { console.error("It looks like the Pulumi SDK has not been `+
		`installed. Have you run npm install?") } else { console.error(error.message); } process.exit(1); }`, mod)
	cmd := exec.Command(nodeBin, "-e", script)
	cmd.Dir = programDir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", errors.New(string(ee.Stderr))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (host *nodeLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	info := req.GetInfo()
	if info == nil {
		info = &pulumirpc.ProgramInfo{ProgramDirectory: req.GetPwd(), RootDirectory: req.GetPwd(), EntryPoint: req.GetProgram()}
	}
	if info.EntryPoint == "" {
		info.EntryPoint = "."
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = defaultRunPath
	}
	runPath, err = locateModule(runPath, info.ProgramDirectory, nodeBin)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	configJSON, err := constructConfig(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "failed to serialize configuration: " + err.Error()}, nil
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	env := append(os.Environ(), "PULUMI_CONFIG="+configJSON, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigpath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigpath)
	}
	nodeArgs, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	host.mu.Lock()
	engineAddress := host.engineAddress
	host.mu.Unlock()
	args := append(nodeArgs, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.RootDirectory)
	add("stack", req.GetStack())
	add("pwd", info.ProgramDirectory)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", host.tracing)
	args = append(args, info.EntryPoint)
	args = append(args, req.GetArgs()...)
	logging.V(5).Infof("Language host launching process: %s %s", nodeBin, strings.Join(args, " "))

	// Cancel if either the Cancel RPC fires or the gRPC request ends.
	cmdCtx, cmdCancel := context.WithCancel(host.cancelCtx)
	defer cmdCancel()
	stop := context.AfterFunc(ctx, cmdCancel)
	defer stop()
	cmd := exec.CommandContext(cmdCtx, nodeBin, args...)
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode, so never hand it our own file descriptors.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}

	if err := cmd.Run(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			switch code := exitErr.ExitCode(); code {
			case 0:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", exitErr)}, nil
			case bailExitCode:
				return &pulumirpc.RunResponse{Bail: true}, nil
			default:
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
			}
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// constructConfig presents config keys as <package>:config:<name>, as upstream does for older SDKs.
func constructConfig(req *pulumirpc.RunRequest) (string, error) {
	configMap := req.GetConfig()
	if configMap == nil {
		return "{}", nil
	}
	transformed := make(map[string]string, len(configMap))
	for k, v := range configMap {
		pk, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		transformed[pk.Namespace()+":config:"+pk.Name()] = v
	}
	b, err := json.Marshal(transformed)
	return string(b), err
}

func (host *nodeLanguageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	info := req.GetInfo()
	dir := req.GetDirectory()
	if info != nil && info.ProgramDirectory != "" {
		dir = info.ProgramDirectory
	}
	opts, err := parseOptions(info)
	if err != nil {
		return fmt.Errorf("failed to parse options: %w", err)
	}
	fmt.Fprintf(stdout, "Installing dependencies...\n\n")
	root := dir
	if ws, err := npm.FindWorkspaceRoot(dir); err == nil {
		fmt.Fprintf(stdout, "Detected workspace root at %s\n", ws)
		root = ws
	} else if !errors.Is(err, npm.ErrNotInWorkspace) {
		return fmt.Errorf("failure while trying to find workspace root: %w", err)
	}
	name, err := npm.Install(server.Context(), opts.packagemanager, root, opts.production, stdout, stderr)
	if err != nil {
		return fmt.Errorf("%s install failed: %w", name, err)
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (host *nodeLanguageHost) RuntimeOptionsPrompts(context.Context,
	*pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (host *nodeLanguageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find executable %q: %w", "node", err)
	}
	resp := &pulumirpc.AboutResponse{Executable: nodeBin, Metadata: map[string]string{}}
	if out, err := exec.CommandContext(ctx, nodeBin, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	if opts, err := parseOptions(req.GetInfo()); err == nil && req.GetInfo() != nil {
		if pm, err := npm.ResolvePackageManager(opts.packagemanager, req.GetInfo().ProgramDirectory); err == nil {
			resp.Metadata["packagemanager"] = pm.Name()
		}
	}
	return resp, nil
}

func (host *nodeLanguageHost) GetProgramDependencies(ctx context.Context,
	req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, fmt.Errorf("failed to parse options: %w", err)
	}
	dir := req.GetInfo().GetProgramDirectory()
	pm, err := npm.ResolvePackageManager(opts.packagemanager, dir)
	if err != nil {
		return nil, fmt.Errorf("failed to determine package manager: %w", err)
	}
	packages, err := pm.ListPackages(ctx, dir, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get node dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(packages))
	for i, p := range packages {
		deps[i] = &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (host *nodeLanguageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	host.cancelFunc()
	return &emptypb.Empty{}, nil
}
GO_SOURCE

cd "$MOD"
log "fetching modules"
"$GO_BIN" get -tool "$PKG_MOD/cmd/pulumi@v$VERSION" >&2
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION"
log "compiling pulumi-language-nodejs"
"$GO_BIN" build -p 2 -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin/pulumi-language-nodejs" ./langhost >&2
log "compiling pulumi (the long part)"
"$GO_BIN" build -p 2 -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin/pulumi" "$PKG_MOD/cmd/pulumi" >&2
cp "$LAUNCHER_SRC" "$OUT/bin/pulumi-resource-pulumi-nodejs"
chmod 755 "$OUT/bin/pulumi-resource-pulumi-nodejs"
cd "$TMP"

got="$(PULUMI_SKIP_UPDATE_CHECK=true "$OUT/bin/pulumi" version)"
[ "$got" = "v$VERSION" ] || die "built pulumi reports version '$got', expected v$VERSION"
"$OUT/bin/pulumi-language-nodejs" -version >/dev/null || die "built pulumi-language-nodejs does not run"
echo "v$VERSION built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $("$GO_BIN" version)" >"$OUT/.complete"

# Swap the finished build into place (rename within one filesystem: never half-built).
if [ -e "$VERSION_DIR" ]; then
  mv "$VERSION_DIR" "$TMP/old"
fi
mv "$OUT" "$VERSION_DIR"
log "built Pulumi CLI v$VERSION in $((SECONDS - start))s: $BIN"
echo "$BIN"
