module github.com/cloudflare-stream-download/pulumi-cloudflare-stream-download/scripts/gomodzip

go 1.26.0

require golang.org/x/mod v0.42.0
