// The Go SDK (sdk/go) under Pulumi's mocks: what it sends to the provider must be what schema.json declares, so
// that a stale or drifted SDK fails here. Run by tests/sdks/go.test.ts (npm run test:sdks) with `go test`.
package sdktest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare-stream-download/pulumi-cloudflare-stream-download/sdk/go/cloudflarestream"
	"github.com/cloudflare-stream-download/pulumi-cloudflare-stream-download/sdk/go/cloudflarestream/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	typ      = "cloudflare-stream:index:StreamDownload"
	provider = "pulumi:providers:cloudflare-stream"
	account  = "023e105f4ecef8ad9ca31a8372d0c353"
	video    = "ea95132c15732412d22c1476fa83f27a"
)

type property struct {
	Default     any `json:"default"`
	Secret      bool
	DefaultInfo struct{ Environment []string }
}

type schemaSpec struct {
	Config    struct{ Variables map[string]property }
	Provider  struct{ InputProperties map[string]property }
	Resources map[string]struct {
		InputProperties map[string]property
		RequiredInputs  []string
		Properties      map[string]property
	}
	Types map[string]struct {
		Enum       []struct{ Name, Value string }
		Properties map[string]property
		Required   []string
	}
}

func loadSchema(t *testing.T) schemaSpec {
	t.Helper()
	path := os.Getenv("STREAM_DOWNLOAD_SCHEMA")
	if path == "" {
		path = filepath.Join("..", "..", "..", "schema.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec schemaSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

// mocks records every registration and answers like the provider: the inputs, plus a live download per type.
type mocks struct {
	mu         sync.Mutex
	registered []pulumi.MockResourceArgs
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.registered = append(m.registered, args)
	m.mu.Unlock()
	state := args.Inputs.Copy()
	if args.TypeToken != typ {
		return args.Name + "-id", state, nil
	}
	types := []string{"default"}
	if v, ok := args.Inputs["downloadTypes"]; ok {
		types = nil
		for _, t := range v.ArrayValue() {
			types = append(types, t.StringValue())
		}
	}
	for _, kind := range types {
		ext := map[string]string{"default": "mp4", "audio": "m4a"}[kind]
		state[resource.PropertyKey(kind)] = resource.NewObjectProperty(resource.PropertyMap{
			"status":          resource.NewStringProperty("ready"),
			"percentComplete": resource.NewNumberProperty(100),
			"url":             resource.NewStringProperty("https://customer-x.example/" + video + "/downloads/" + kind + "." + ext),
		})
	}
	state["requireSignedURLs"] = resource.NewBoolProperty(false)
	return args.Inputs["accountId"].StringValue() + "/" + args.Inputs["identifier"].StringValue(), state, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func (m *mocks) of(token string) []pulumi.MockResourceArgs {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pulumi.MockResourceArgs
	for _, r := range m.registered {
		if r.TypeToken == token {
			out = append(out, r)
		}
	}
	return out
}

func run(t *testing.T, program pulumi.RunFunc) *mocks {
	t.Helper()
	m := &mocks{}
	if err := pulumi.RunErr(program, pulumi.WithMocks("sdk-tests", "test", m)); err != nil {
		t.Fatal(err)
	}
	return m
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func propertyKeys(m resource.PropertyMap) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

func TestEveryInputReachesTheProviderUnderItsSchemaName(t *testing.T) {
	spec := loadSchema(t)
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := cloudflarestream.NewStreamDownload(ctx, "talk", &cloudflarestream.StreamDownloadArgs{
			AccountId:           pulumi.String(account),
			Identifier:          pulumi.String(video),
			DownloadTypes:       cloudflarestream.DownloadTypeArray{cloudflarestream.DownloadTypeDefault, cloudflarestream.DownloadTypeAudio},
			WaitForReady:        pulumi.Bool(false),
			ReadyTimeoutSeconds: pulumi.Float64(60),
		})
		return err
	})
	regs := m.of(typ)
	if len(regs) != 1 {
		t.Fatalf("registered %d StreamDownloads", len(regs))
	}
	in := regs[0].Inputs
	if got, want := propertyKeys(in), keys(spec.Resources[typ].InputProperties); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("inputs on the wire %v, schema.json declares %v", got, want)
	}
	want := resource.PropertyMap{
		"accountId":           resource.NewStringProperty(account),
		"identifier":          resource.NewStringProperty(video),
		"downloadTypes":       resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("default"), resource.NewStringProperty("audio")}),
		"waitForReady":        resource.NewBoolProperty(false),
		"readyTimeoutSeconds": resource.NewNumberProperty(60),
	}
	if !in.DeepEquals(want) {
		t.Fatalf("inputs on the wire %v, want %v", in, want)
	}
}

func TestOmittedInputsGetTheSchemaDefaults(t *testing.T) {
	spec := loadSchema(t)
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := cloudflarestream.NewStreamDownload(ctx, "talk", &cloudflarestream.StreamDownloadArgs{
			AccountId: pulumi.String(account), Identifier: pulumi.String(video),
		})
		if err != nil {
			return err
		}
		if _, err := cloudflarestream.NewStreamDownload(ctx, "missing", &cloudflarestream.StreamDownloadArgs{Identifier: pulumi.String(video)}); err == nil ||
			!strings.Contains(err.Error(), "AccountId") {
			t.Errorf("a StreamDownload without AccountId: got %v, want an error naming AccountId", err)
		}
		return nil
	})
	if got := strings.Join(spec.Resources[typ].RequiredInputs, ","); got != "accountId,identifier" {
		t.Fatalf("schema.json requiredInputs %s", got)
	}
	in := m.of(typ)[0].Inputs
	for name, p := range spec.Resources[typ].InputProperties {
		if name == "accountId" || name == "identifier" {
			continue
		}
		if p.Default == nil {
			if _, ok := in[resource.PropertyKey(name)]; ok {
				t.Errorf("%s was sent though not set and without a default", name)
			}
			continue
		}
		if got := in[resource.PropertyKey(name)]; !got.DeepEquals(resource.NewPropertyValue(p.Default)) {
			t.Errorf("%s on the wire %v, schema.json default %v", name, got, p.Default)
		}
	}
}

func TestEnumValuesAreTheSchemas(t *testing.T) {
	spec := loadSchema(t)
	got := map[string]string{"Default": string(cloudflarestream.DownloadTypeDefault), "Audio": string(cloudflarestream.DownloadTypeAudio)}
	want := map[string]string{}
	for _, e := range spec.Types["cloudflare-stream:index:DownloadType"].Enum {
		want[e.Name] = e.Value
	}
	if len(got) != len(want) || got["Default"] != want["Default"] || got["Audio"] != want["Audio"] {
		t.Fatalf("Go enum %v, schema.json %v", got, want)
	}
}

func TestOutputsAreTypedAsTheSchemaSays(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]any{}
	record := func(key string) func(v any) any {
		return func(v any) any {
			mu.Lock()
			seen[key] = v
			mu.Unlock()
			return v
		}
	}
	run(t, func(ctx *pulumi.Context) error {
		talk, err := cloudflarestream.NewStreamDownload(ctx, "talk", &cloudflarestream.StreamDownloadArgs{
			AccountId: pulumi.String(account), Identifier: pulumi.String(video),
			DownloadTypes: cloudflarestream.DownloadTypeArray{cloudflarestream.DownloadTypeAudio},
		})
		if err != nil {
			return err
		}
		// Typed accessors: a compile error when the schema's output types change.
		var audio cloudflarestream.DownloadInfoPtrOutput = talk.Audio
		var percent pulumi.Float64PtrOutput = audio.PercentComplete()
		var signed pulumi.BoolPtrOutput = talk.RequireSignedURLs
		var types cloudflarestream.DownloadTypeArrayOutput = talk.DownloadTypes
		talk.ID().ApplyT(record("id"))
		audio.Url().ApplyT(record("url"))
		audio.Status().ApplyT(record("status"))
		percent.ApplyT(record("percent"))
		signed.ApplyT(record("signed"))
		talk.Default.ApplyT(record("default"))
		types.ApplyT(record("types"))
		return nil
	})
	url := "https://customer-x.example/" + video + "/downloads/audio.m4a"
	if id := seen["id"].(pulumi.ID); string(id) != account+"/"+video {
		t.Errorf("id %v", id)
	}
	if u := seen["url"].(*string); u == nil || *u != url {
		t.Errorf("audio url %v", seen["url"])
	}
	if s := seen["status"].(*string); s == nil || *s != "ready" {
		t.Errorf("audio status %v", seen["status"])
	}
	if p := seen["percent"].(*float64); p == nil || *p != 100 {
		t.Errorf("audio percentComplete %v", seen["percent"])
	}
	if s := seen["signed"].(*bool); s == nil || *s {
		t.Errorf("requireSignedURLs %v", seen["signed"])
	}
	if d := seen["default"].(*cloudflarestream.DownloadInfo); d != nil {
		t.Errorf("default %v, want none", d)
	}
	if ts := seen["types"].([]cloudflarestream.DownloadType); len(ts) != 1 || ts[0] != cloudflarestream.DownloadTypeAudio {
		t.Errorf("downloadTypes %v", ts)
	}
}

// The wire names of a generated Go struct (its `pulumi:"<name>"` tags) and which are optional (pointers).
func wireNames(v any) (names []string, optional map[string]bool) {
	optional = map[string]bool{}
	rt := reflect.TypeOf(v)
	for i := 0; i < rt.NumField(); i++ {
		name := strings.Split(rt.Field(i).Tag.Get("pulumi"), ",")[0]
		names = append(names, name)
		optional[name] = rt.Field(i).Type.Kind() == reflect.Ptr
	}
	sort.Strings(names)
	return names, optional
}

func TestOutputTypesHaveTheSchemasProperties(t *testing.T) {
	spec := loadSchema(t)
	info := spec.Types["cloudflare-stream:index:DownloadInfo"]
	names, optional := wireNames(cloudflarestream.DownloadInfo{})
	if got, want := strings.Join(names, ","), strings.Join(keys(info.Properties), ","); got != want {
		t.Fatalf("DownloadInfo's fields on the wire %s, schema.json %s", got, want)
	}
	for _, name := range info.Required {
		if optional[name] {
			t.Errorf("DownloadInfo.%s is optional in Go, required in schema.json", name)
		}
	}
}

func TestTheProviderResourceSendsItsConfigWithSecretsMarked(t *testing.T) {
	spec := loadSchema(t)
	m := run(t, func(ctx *pulumi.Context) error {
		p, err := cloudflarestream.NewProvider(ctx, "stream", &cloudflarestream.ProviderArgs{
			ApiToken:               pulumi.String("token-123"),
			BaseUrl:                pulumi.String("http://127.0.0.1:1/client/v4"),
			RequestsPerFiveMinutes: pulumi.Int(600),
		})
		if err != nil {
			return err
		}
		_, err = cloudflarestream.NewStreamDownload(ctx, "talk", &cloudflarestream.StreamDownloadArgs{
			AccountId: pulumi.String(account), Identifier: pulumi.String(video),
		}, pulumi.Provider(p))
		return err
	})
	regs := m.of(provider)
	if len(regs) != 1 || regs[0].Name != "stream" {
		t.Fatalf("provider registrations %v", regs)
	}
	in := regs[0].Inputs
	for k := range in {
		if _, ok := spec.Provider.InputProperties[string(k)]; !ok {
			t.Errorf("provider input %s is not in schema.json", k)
		}
	}
	for name, p := range spec.Provider.InputProperties {
		v, ok := in[resource.PropertyKey(name)]
		if ok && v.IsSecret() != p.Secret {
			t.Errorf("provider input %s: secret %v on the wire, schema.json secret %v", name, v.IsSecret(), p.Secret)
		}
	}
	token := in["apiToken"]
	if !token.IsSecret() || token.SecretValue().Element.StringValue() != "token-123" {
		t.Errorf("apiToken %v, want the secret token-123", token)
	}
	if got := in["baseUrl"]; !got.IsString() || got.StringValue() != "http://127.0.0.1:1/client/v4" {
		t.Errorf("baseUrl %v", got)
	}
	// The Go SDK sends a provider's number as a number (the Python SDK JSON-encodes it: "600"); the plugin reads both.
	if got := in["requestsPerFiveMinutes"]; !got.IsNumber() || got.NumberValue() != 600 {
		t.Errorf("requestsPerFiveMinutes %v, want the number 600", got)
	}
	ref := m.of(typ)[0].Provider
	if !regexp.MustCompile(`^urn:pulumi:test::sdk-tests::(pulumi:pulumi:Stack\$)?pulumi:providers:cloudflare-stream::stream::stream-id$`).MatchString(ref) {
		t.Errorf("the StreamDownload's provider reference %q", ref)
	}
}

func TestTheProviderFallsBackToTheSchemasEnvironmentVariables(t *testing.T) {
	spec := loadSchema(t)
	for name, env := range map[string]string{"apiToken": "CLOUDFLARE_API_TOKEN", "baseUrl": "CLOUDFLARE_BASE_URL"} {
		if got := spec.Provider.InputProperties[name].DefaultInfo.Environment; len(got) != 1 || got[0] != env {
			t.Fatalf("schema.json %s environment %v", name, got)
		}
	}
	t.Setenv("CLOUDFLARE_API_TOKEN", "env-token")
	t.Setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:2/client/v4")
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := cloudflarestream.NewProvider(ctx, "from-env", &cloudflarestream.ProviderArgs{})
		return err
	})
	in := m.of(provider)[0].Inputs
	if token := in["apiToken"]; !token.IsSecret() || token.SecretValue().Element.StringValue() != "env-token" {
		t.Errorf("apiToken %v", token)
	}
	if got := in["baseUrl"]; got.StringValue() != "http://127.0.0.1:2/client/v4" {
		t.Errorf("baseUrl %v", got)
	}
}

func TestConfigReadsTheSchemasKeys(t *testing.T) {
	spec := loadSchema(t)
	if got := strings.Join(keys(spec.Config.Variables), ","); got != "apiKey,apiToken,baseUrl,email,requestsPerFiveMinutes" {
		t.Fatalf("schema.json config variables %s: update this test and config.Get* calls", got)
	}
	t.Setenv("PULUMI_CONFIG", `{"cloudflare-stream:baseUrl":"http://127.0.0.1:3/client/v4","cloudflare-stream:requestsPerFiveMinutes":"300","cloudflare-stream:apiToken":"cfg-token"}`)
	run(t, func(ctx *pulumi.Context) error {
		if got := config.GetBaseUrl(ctx); got != "http://127.0.0.1:3/client/v4" {
			t.Errorf("GetBaseUrl %q", got)
		}
		if got := config.GetRequestsPerFiveMinutes(ctx); got != 300 {
			t.Errorf("GetRequestsPerFiveMinutes %d", got)
		}
		if got := config.GetApiToken(ctx); got != "cfg-token" {
			t.Errorf("GetApiToken %q", got)
		}
		return nil
	})
}
