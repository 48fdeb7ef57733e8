module github.com/cloudflare-stream-download/pulumi-cloudflare-stream-download/sdk/go

go 1.24

require github.com/pulumi/pulumi/sdk/v3 v3.276.0
