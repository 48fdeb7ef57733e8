// A Go program using the StreamDownload of the provider plugin through the generated SDK in sdk/go.
package main

import (
	"github.com/cloudflare-stream-download/pulumi-cloudflare-stream-download/sdk/go/cloudflarestream"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		talk, err := cloudflarestream.NewStreamDownload(ctx, "talk", &cloudflarestream.StreamDownloadArgs{
			AccountId:     pulumi.String(cfg.Require("accountId")),
			Identifier:    pulumi.String(cfg.Require("videoId")),
			DownloadTypes: cloudflarestream.DownloadTypeArray{cloudflarestream.DownloadTypeDefault, cloudflarestream.DownloadTypeAudio},
		})
		if err != nil {
			return err
		}
		ctx.Export("mp4", talk.Default.Url())
		ctx.Export("status", talk.Default.Status())
		return nil
	})
}
